// The run lock (scripts/lib/shell/lock.mts): one mutating run per state dir; a busy lock names its holder, a
// stale one (holder gone, PID reused, rebooted) is taken over with a note, another host's is never taken.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { StepError } from '../../scripts/lib/shell/errors.mts'
import { acquireLock, activeHolder, describeHolder, holderStatus, LOCK_FILE, localProbe, procStartTime, readLock, type LockInfo, type ProcessProbe } from '../../scripts/lib/shell/lock.mts'
import { REPO } from '../helpers/fakes.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const refused = (fn: () => unknown): StepError => {
  try { fn() } catch (e) { if (e instanceof StepError) return e; throw e }
  throw new Error('the lock was granted')
}

/** a pid that certainly belongs to no process: one that has exited */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(r.stdout)
}

const info = (over: Partial<LockInfo> = {}): LockInfo => ({ pid: 4242, command: 'up', startedAt: '2025-10-20T12:03:01.000Z', hostname: os.hostname(), token: 'abc', ...over })
const writeLock = (dir: string, i: LockInfo) => fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(i))

test('take, refuse a second taker naming command and PID, release; the next run takes it', () => {
  const dir = tempDir('lock-')
  try {
    const a = acquireLock(dir, 'up')
    const held = readLock(dir) as LockInfo
    assert.is(held.pid, process.pid)
    assert.is(held.command, 'up')
    assert.is(held.hostname, os.hostname())
    if (fs.existsSync('/proc/self/stat')) assert.is(held.procStart, procStartTime(process.pid))
    const e = refused(() => acquireLock(dir, 'down'))
    assert.is(e.exitCode, 4)
    assert.is(e.step, 'lock')
    assert.match(e.message, `up (PID ${process.pid}, started `)
    assert.match(e.message, 'is already changing this platform')
    assert.match(e.hint ?? '', `kill ${process.pid}`)
    assert.is(activeHolder(dir), describeHolder(held, localProbe()))
    a.release()
    assert.not.ok(fs.existsSync(path.join(dir, LOCK_FILE)))
    a.release() // idempotent
    acquireLock(dir, 'down').release()
  } finally {
    removeDir(dir)
  }
})

test('a lock whose process is gone is taken over, with a note naming it', () => {
  const dir = tempDir('lock-stale-')
  try {
    const pid = deadPid()
    writeLock(dir, info({ pid, command: 'sync' }))
    const notes: string[] = []
    const l = acquireLock(dir, 'up', { warn: (n) => notes.push(n) })
    assert.is((readLock(dir) as LockInfo).pid, process.pid)
    assert.equal(notes.length, 1)
    assert.match(notes[0]!, `took over the lock of sync (PID ${pid}, started `)
    assert.match(notes[0]!, 'that process is gone')
    l.release()
  } finally {
    removeDir(dir)
  }
})

test('holder status: PID reuse and a reboot make a live pid stale; another host is never judged from here', () => {
  const probe = (over: Partial<ProcessProbe> = {}): ProcessProbe => ({ hostname: 'laptop', bootId: 'boot-1', state: () => 'alive', startTime: () => '1000', ...over })
  const rec = info({ hostname: 'laptop', bootId: 'boot-1', procStart: '1000' })
  assert.equal(holderStatus(rec, probe()), { status: 'live' })
  assert.equal(holderStatus(rec, probe({ state: () => 'gone' })), { status: 'stale', why: 'that process is gone' })
  assert.equal(holderStatus(rec, probe({ startTime: () => '2000' })), { status: 'stale', why: 'PID 4242 now belongs to another process' })
  assert.equal(holderStatus(rec, probe({ bootId: 'boot-2' })), { status: 'stale', why: 'the machine has rebooted since' })
  // no start time recorded (macOS): the pid alone decides
  assert.equal(holderStatus(info({ hostname: 'laptop' }), probe({ startTime: () => undefined })), { status: 'live' })
  assert.equal(holderStatus(rec, probe({ hostname: 'ci-runner', state: () => 'gone' })), { status: 'other-host' })
})

test('a lock held on another host is refused, with how to clear it if that run is gone', () => {
  const dir = tempDir('lock-host-')
  try {
    writeLock(dir, info({ hostname: 'build-07', pid: deadPid() }))
    const e = refused(() => acquireLock(dir, 'down'))
    assert.is(e.exitCode, 4)
    assert.match(e.message, 'on host build-07')
    assert.match(e.hint ?? '', `if no run is active there any more, delete ${path.join(dir, LOCK_FILE)}`)
  } finally {
    removeDir(dir)
  }
})

test('a lock file that is not a lock: replaced when old, refused while it may still be being written', () => {
  const dir = tempDir('lock-garbage-')
  try {
    const file = path.join(dir, LOCK_FILE)
    fs.writeFileSync(file, '')
    assert.match(refused(() => acquireLock(dir, 'up')).message, 'being written by another run')
    const old = new Date(Date.now() - 60_000)
    fs.utimesSync(file, old, old)
    const notes: string[] = []
    acquireLock(dir, 'up', { warn: (n) => notes.push(n) }).release()
    assert.match(notes.join('\n'), 'not a lock this suite wrote')
  } finally {
    removeDir(dir)
  }
})

test('release removes only our own lock, never a successor\'s', () => {
  const dir = tempDir('lock-succ-')
  try {
    const a = acquireLock(dir, 'up')
    writeLock(dir, info({ pid: process.pid, token: 'someone-else' })) // we were judged stale and replaced
    a.release()
    assert.is((readLock(dir) as LockInfo).token, 'someone-else')
  } finally {
    removeDir(dir)
  }
})

test('a missing state dir is created for the lock and removed again when the run wrote nothing', () => {
  const base = tempDir('lock-dir-')
  try {
    const dir = path.join(base, 'state')
    const l = acquireLock(dir, 'sync')
    assert.ok(fs.existsSync(path.join(dir, LOCK_FILE)))
    l.release()
    assert.not.ok(fs.existsSync(dir))
  } finally {
    removeDir(base)
  }
})

test('describeHolder: clock time today, the date when older, the host when another', () => {
  const now = new Date(2025, 9, 20, 15, 0, 0)
  const at = (d: Date) => info({ startedAt: d.toISOString() })
  assert.is(describeHolder(at(new Date(2025, 9, 20, 12, 3, 1)), { hostname: os.hostname() }, now), 'up (PID 4242, started 12:03:01)')
  assert.is(describeHolder(at(new Date(2025, 9, 17, 9, 0, 0)), { hostname: os.hostname() }, now), 'up (PID 4242, started 2025-10-17 09:00:00)')
  assert.match(describeHolder(info({ hostname: 'ci' }), { hostname: 'laptop' }, now), 'up (PID 4242 on host ci, started ')
})

test('several runs finding the same stale lock at once: exactly one takes it over', async () => {
  const dir = tempDir('lock-race-')
  try {
    writeLock(dir, info({ pid: deadPid() }))
    const script = `
      import { acquireLock } from ${JSON.stringify(path.join(REPO, 'scripts/lib/shell/lock.mts'))}
      let out
      try { acquireLock(process.argv[1], 'up'); out = 'ok' } catch (e) { out = 'busy: ' + e.message }
      process.stdout.write(out + '\\n')
      // hold it until the test has heard from everyone, so the winner cannot release before the others try
      process.stdin.resume(); process.stdin.on('end', () => process.exit(0))`
    const children = Array.from({ length: 4 }, () => spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['pipe', 'pipe', 'inherit'] }))
    const answers = await Promise.all(children.map((c) => new Promise<string>((resolve) => {
      let out = ''
      c.stdout!.on('data', (d) => { out += d; if (out.includes('\n')) resolve(out.trim()) })
      c.on('close', () => resolve(out.trim()))
    })))
    for (const c of children) c.stdin!.end()
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('close', r)))))
    assert.is(answers.filter((a) => a === 'ok').length, 1, answers.join('\n'))
    for (const a of answers.filter((x) => x !== 'ok')) assert.match(a, /busy: (up \(PID \d+, started .*\) is already changing this platform|another run \(PID \d+\) is taking over a stale lock)/)
  } finally {
    removeDir(dir)
  }
})

test.run()
