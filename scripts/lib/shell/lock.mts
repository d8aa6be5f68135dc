// One mutating run at a time: commands that change the platform (CommandSpec.lock) hold <state dir>/run.lock
// for their whole run. A second one refuses at once (exit 4) naming the holder; it never waits.
//
// The file holds JSON { pid, command, startedAt, hostname, procStart?, bootId?, token }. It is written to a
// private temp file and hard-linked into place: link(2) fails with EEXIST when a lock exists (as O_EXCL does)
// and a reader never sees a half-written lock. Where the filesystem has no hard links it falls back to an
// O_EXCL ('wx') create.
// Liveness: a holder on this host whose pid is gone is stale and taken over with a warning. PIDs get reused, so
// on Linux the holder's process start time (/proc/<pid>/stat field 22) and the boot id are recorded too: same
// pid but a different start time (or another boot) is stale as well. A holder on another host (a state dir on
// a shared disk) cannot be checked from here: it is never taken over; the message says how to clear it.
// Taking over is guarded by run.lock.takeover (O_EXCL), so two runs that find the same stale lock cannot both
// win.

import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { EXIT, StepError } from './errors.mts'
import { ensureStateDir, removeIfEmpty } from './manifest.mts'

export const LOCK_FILE = 'run.lock'
const TAKEOVER_FILE = `${LOCK_FILE}.takeover`

export interface LockInfo {
  pid: number
  /** the command holding it: up, down, sync, ... */
  command: string
  /** ISO time */
  startedAt: string
  hostname: string
  /** Linux: the process's start time in clock ticks since boot (survives PID reuse) */
  procStart?: string
  /** Linux: /proc/sys/kernel/random/boot_id (a reboot makes every recorded pid meaningless) */
  bootId?: string
  /** tells our lock from a successor's when releasing */
  token: string
}

export interface RunLock {
  readonly file: string
  readonly info: LockInfo
  /** Remove the lock if it is still ours. Idempotent, synchronous (safe in an exit handler). */
  release(): void
}

/** What this machine can tell about a pid. Injected in tests. */
export interface ProcessProbe {
  hostname: string
  bootId?: string
  /** 'alive', 'gone', or alive but owned by another user */
  state(pid: number): 'alive' | 'gone'
  /** the process start time as recorded in LockInfo.procStart, when this OS can tell */
  startTime(pid: number): string | undefined
}

export type HolderStatus =
  | { status: 'live' }
  | { status: 'stale'; why: string }
  | { status: 'other-host' }

const mtimeMs = (file: string): number => { try { return fs.statSync(file).mtimeMs } catch { return 0 } }
const readText = (file: string): string | undefined => { try { return fs.readFileSync(file, 'utf8') } catch { return undefined } }

/** Field 22 of /proc/<pid>/stat (after the parenthesised comm, which may contain spaces and parentheses). */
export function procStartTime(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`)
  if (!stat) return undefined
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
}

export const localProbe = (): ProcessProbe => ({
  hostname: os.hostname(),
  bootId: readText('/proc/sys/kernel/random/boot_id')?.trim() || undefined,
  state(pid) {
    try {
      process.kill(pid, 0)
    } catch (e) {
      // EPERM: it exists, it is just not ours to signal
      return (e as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'gone'
    }
    const stat = readText(`/proc/${pid}/stat`)
    const st = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
    return st === 'Z' || st === 'X' ? 'gone' : 'alive'
  },
  startTime: procStartTime,
})

/** Is the recorded holder still running? Pure given the probe. */
export function holderStatus(info: LockInfo, probe: ProcessProbe): HolderStatus {
  if (info.hostname !== probe.hostname) return { status: 'other-host' }
  if (info.bootId && probe.bootId && info.bootId !== probe.bootId) return { status: 'stale', why: 'the machine has rebooted since' }
  if (probe.state(info.pid) === 'gone') return { status: 'stale', why: 'that process is gone' }
  if (info.procStart) {
    const now = probe.startTime(info.pid)
    if (now !== undefined && now !== info.procStart) return { status: 'stale', why: `PID ${info.pid} now belongs to another process` }
  }
  return { status: 'live' }
}

const two = (n: number) => String(n).padStart(2, '0')

/** "up (PID 4242, started 12:03:01)"; older than a day shows the date; another host is named. */
export function describeHolder(info: LockInfo, probe: Pick<ProcessProbe, 'hostname'>, now = new Date()): string {
  const t = new Date(info.startedAt)
  const valid = !Number.isNaN(t.getTime())
  const clock = valid ? `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}` : 'at an unknown time'
  const day = valid && now.getTime() - t.getTime() > 20 * 3600_000 ? `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ` : ''
  const host = info.hostname !== probe.hostname ? ` on host ${info.hostname}` : ''
  return `${info.command} (PID ${info.pid}${host}, started ${valid ? `${day}${clock}` : clock})`
}

/** The lock as written, or undefined when there is none; `garbage` when the file exists but is not a lock. */
export function readLock(stateDir: string): LockInfo | 'garbage' | undefined {
  const text = readText(path.join(stateDir, LOCK_FILE))
  if (text === undefined) return undefined
  try {
    const v = JSON.parse(text) as Partial<LockInfo>
    if (Number.isInteger(v.pid) && typeof v.command === 'string' && typeof v.hostname === 'string' && typeof v.token === 'string') return v as LockInfo
  } catch { /* fall through */ }
  return 'garbage'
}

function busy(info: LockInfo, file: string, probe: ProcessProbe, status: HolderStatus): StepError {
  const who = describeHolder(info, probe)
  const hint = status.status === 'other-host'
    ? `wait for it to finish on ${info.hostname}; if no run is active there any more, delete ${file} and re-run`
    : `wait for it to finish or stop it (kill ${info.pid}: it cleans up and releases the lock), then re-run; if PID ${info.pid} is not a run of this suite, delete ${file}`
  return new StepError({ step: 'lock', message: `${who} is already changing this platform`, hint, exitCode: EXIT.precondition })
}

export interface AcquireOptions {
  /** a note for the user (taking over a stale lock) */
  warn?: (line: string) => void
  probe?: ProcessProbe
  now?: Date
}

function linkInto(file: string, content: string): 'ok' | 'exists' {
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, content)
  try {
    fs.linkSync(tmp, file)
    return 'ok'
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return 'exists'
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e
    // no hard links here: O_EXCL create (a reader may briefly see it empty; readLock calls that garbage)
    try {
      fs.writeFileSync(file, content, { flag: 'wx' })
      return 'ok'
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return 'exists'
      throw e2
    }
  } finally {
    fs.rmSync(tmp, { force: true })
  }
}

/** Remove a stale lock, only if it is still the one judged stale, under run.lock.takeover. */
function removeStale(stateDir: string, judged: LockInfo | 'garbage', probe: ProcessProbe): 'removed' | 'changed' | StepError {
  const guard = path.join(stateDir, TAKEOVER_FILE)
  try {
    fs.writeFileSync(guard, JSON.stringify({ pid: process.pid }), { flag: 'wx' })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    const other = Number((JSON.parse(readText(guard) || '{}') as { pid?: unknown }).pid)
    if (Number.isInteger(other) && other > 0 && probe.state(other) === 'alive') {
      return new StepError({ step: 'lock', message: `another run (PID ${other}) is taking over a stale lock in ${stateDir} right now`, hint: 'wait for it to finish, then re-run', exitCode: EXIT.precondition })
    }
    // a takeover that died half-way: clear it and let the caller try again
    fs.rmSync(guard, { force: true })
    return 'changed'
  }
  try {
    const now = readLock(stateDir)
    const same = now === judged || (now !== undefined && now !== 'garbage' && judged !== 'garbage' && now.token === judged.token)
    if (!same) return 'changed'
    fs.rmSync(path.join(stateDir, LOCK_FILE), { force: true })
    return 'removed'
  } finally {
    fs.rmSync(guard, { force: true })
  }
}

/**
 * Take the run lock of a state dir for `command`, or throw (exit 4) naming who holds it. Never waits.
 * Creates the state dir (recorded as the suite's) when it does not exist yet.
 */
export function acquireLock(stateDir: string, command: string, opts: AcquireOptions = {}): RunLock {
  try {
    return take(stateDir, command, opts)
  } catch (e) {
    if (e instanceof StepError) throw e
    const err = e as NodeJS.ErrnoException
    throw new StepError({
      step: 'lock',
      message: `cannot write the run lock in STATE_DIR ${stateDir}: ${err.message}`,
      hint: 'make STATE_DIR a writable directory of its own (default .platform), or check the disk (full? read-only?)',
      exitCode: EXIT.usage,
      cause: e,
    })
  }
}

function take(stateDir: string, command: string, opts: AcquireOptions): RunLock {
  const probe = opts.probe ?? localProbe()
  const file = path.join(stateDir, LOCK_FILE)
  // a missing dir is created (and recorded as the suite's); an existing one gets no journal just for the lock:
  // the first file the run writes starts it (and marks an older version's dir as such)
  if (!fs.existsSync(stateDir)) ensureStateDir(stateDir)
  const info: LockInfo = {
    pid: process.pid,
    command,
    startedAt: (opts.now ?? new Date()).toISOString(),
    hostname: probe.hostname,
    ...(probe.startTime(process.pid) ? { procStart: probe.startTime(process.pid) } : {}),
    ...(probe.bootId ? { bootId: probe.bootId } : {}),
    token: crypto.randomBytes(8).toString('hex'),
  }
  const content = `${JSON.stringify(info, null, 2)}\n`
  // a few rounds only: each one either takes the lock, refuses, or saw the lock change under it
  for (let round = 0; round < 5; round++) {
    if (linkInto(file, content) === 'ok') return held(file, info)
    const holder = readLock(stateDir)
    if (holder === undefined) continue // released between our attempt and our look: try again
    if (holder !== 'garbage') {
      const status = holderStatus(holder, probe)
      if (status.status !== 'stale') throw busy(holder, file, probe, status)
      const removed = removeStale(stateDir, holder, probe)
      if (removed instanceof StepError) throw removed
      if (removed === 'removed') opts.warn?.(`lock: took over the lock of ${describeHolder(holder, probe, opts.now)}: ${status.why}`)
      continue
    }
    // without hard links a lock is briefly empty while its writer fills it: a fresh one counts as held
    if (Date.now() - mtimeMs(file) < 10_000) {
      throw new StepError({ step: 'lock', message: `${file} is being written by another run starting right now`, hint: 'wait for it, then re-run', exitCode: EXIT.precondition })
    }
    const removed = removeStale(stateDir, 'garbage', probe)
    if (removed instanceof StepError) throw removed
    if (removed === 'removed') opts.warn?.(`lock: ${file} was not a lock this suite wrote (unreadable); replaced it`)
  }
  throw new StepError({ step: 'lock', message: `could not take ${file}: it kept changing while other runs started`, hint: 'another run is starting right now; wait for it, then re-run', exitCode: EXIT.precondition })
}

function held(file: string, info: LockInfo): RunLock {
  let released = false
  const release = () => {
    if (released) return
    released = true
    process.removeListener('exit', release)
    // only our own lock: after a takeover (we were judged stale) the file is someone else's
    const now = readText(file)
    try {
      if (now === undefined || (JSON.parse(now) as LockInfo).token !== info.token) return
      fs.rmSync(file, { force: true })
      // a state dir this suite created and left empty (a run that wrote nothing) does not stay behind
      removeIfEmpty(path.dirname(file))
    } catch { /* not ours or unreadable: leave it */ }
  }
  // a backstop for paths that exit without runCommand's cleanup
  process.once('exit', release)
  return { file, info, release }
}

/** For commands that do not take the lock (--dry-run): who is changing the platform right now, if anyone. */
export function activeHolder(stateDir: string, probe: ProcessProbe = localProbe()): string | undefined {
  const holder = readLock(stateDir)
  if (!holder || holder === 'garbage') return undefined
  return holderStatus(holder, probe).status === 'stale' ? undefined : describeHolder(holder, probe)
}
