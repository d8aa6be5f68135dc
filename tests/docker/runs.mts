// Who owns what on a shared engine. Every tier run has an id (`<owner pid base36>-<4 hex>`); everything it creates
// is named `ptier-<id>-...` (or labelled dev.platform.test-run=<id>), and a record in the machine's temp dir says
// which process owns the run. A run whose owner is gone is stale: the next run removes what it left.

import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const PREFIX = 'ptier'
export const RUN_LABEL = 'dev.platform.test-run'

export interface RunRecord {
  id: string
  /** the process that owns the run (the test runner, or a test file run on its own) */
  pid: number
  /** its start time in clock ticks since boot (Linux), so a recycled pid is not taken for the owner */
  start?: string
  created: string
  /** the `docker events` recorder of this run */
  events?: { pid: number; start?: string; file: string }
}

export const runsDir = (): string => path.join(os.tmpdir(), 'platform-docker-tier')
export const recordFile = (id: string): string => path.join(runsDir(), `${id}.json`)
export const eventsFile = (id: string): string => path.join(runsDir(), `${id}.events.jsonl`)

export const newRunId = (pid = process.pid): string => `${pid.toString(36)}-${crypto.randomBytes(2).toString('hex')}`
export const isRunId = (id: string | undefined): id is string => /^[0-9a-z]+-[0-9a-f]{4}$/.test(id ?? '')
export const runPrefix = (id: string): string => `${PREFIX}-${id}-`

/** The run a docker object name belongs to (`ptier-<pid36>-<hex4>-...`), or undefined. */
export function runOfName(name: string): { id: string; pid: number } | undefined {
  const m = /^\/?ptier-([0-9a-z]+)-([0-9a-f]{4})-/.exec(name)
  if (!m) return undefined
  return { id: `${m[1]}-${m[2]}`, pid: parseInt(m[1]!, 36) }
}

/** Linux: field 22 of /proc/<pid>/stat (after the parenthesised command name, which may contain spaces). */
export function procStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

export function alive(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (!start) return true
  const now = procStart(pid)
  return now === undefined || now === start
}

export function readRecords(): RunRecord[] {
  let names: string[] = []
  try { names = fs.readdirSync(runsDir()) } catch { return [] }
  const out: RunRecord[] = []
  for (const n of names.filter((x) => /^[0-9a-z]+-[0-9a-f]{4}\.json$/.test(x))) {
    try { out.push(JSON.parse(fs.readFileSync(path.join(runsDir(), n), 'utf8')) as RunRecord) } catch { /* half-written: its owner is still writing it */ }
  }
  return out
}

export const readRecord = (id: string): RunRecord | undefined => readRecords().find((r) => r.id === id)

/** Shared by every user of the machine (they share the engine): sticky and world-writable, like /tmp. */
export function ensureRunsDir(): void {
  if (fs.existsSync(runsDir())) return
  fs.mkdirSync(runsDir(), { recursive: true })
  try { fs.chmodSync(runsDir(), 0o1777) } catch { /* another user made it */ }
}

export function writeRecord(r: RunRecord): void {
  ensureRunsDir()
  const tmp = `${recordFile(r.id)}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(r, null, 2))
  fs.renameSync(tmp, recordFile(r.id))
}

export function removeRecord(id: string): void {
  // another user's record in the sticky dir cannot be removed by us: its run is swept all the same
  for (const f of [recordFile(id), eventsFile(id), imagesFile(id)]) { try { fs.rmSync(f, { force: true }) } catch { /* not ours */ } }
}

/** A run is live while its owner process is (a run without a record is judged by the pid in its id). */
export function runIsLive(id: string, records = readRecords()): boolean {
  const rec = records.find((r) => r.id === id)
  if (rec) return alive(rec.pid, rec.start)
  const pid = parseInt(id.split('-')[0] ?? '', 36)
  return Number.isFinite(pid) && pid > 0 && alive(pid)
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * Machine-wide lock around registering/ending runs and building/removing the shared stand-in images, so one run
 * never removes an image another is about to use. A lock whose holder died is taken over.
 */
export function withLock<T>(fn: () => T, timeoutMs = 600_000): T {
  const dir = path.join(runsDir(), 'lock')
  ensureRunsDir()
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      fs.mkdirSync(dir)
      fs.writeFileSync(path.join(dir, 'owner'), JSON.stringify({ pid: process.pid, start: procStart(process.pid) }))
      break
    } catch {
      let owner: { pid?: number; start?: string } = {}
      try { owner = JSON.parse(fs.readFileSync(path.join(dir, 'owner'), 'utf8')) } catch { /* being written */ }
      if (owner.pid && !alive(owner.pid, owner.start)) {
        fs.rmSync(dir, { recursive: true, force: true })
        continue
      }
      if (Date.now() > deadline) throw new Error(`docker tier: lock ${dir} held by pid ${owner.pid ?? '?'} for more than ${timeoutMs / 1000}s`)
      sleepSync(100)
    }
  }
  try {
    return fn()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

// ---- images a run made that carry no name of the run (e.g. localhost:<port>/demo:<hash> built by up) ----

const imagesFile = (id: string): string => path.join(runsDir(), `${id}.images`)

export function trackImage(id: string, ref: string): void {
  ensureRunsDir()
  fs.appendFileSync(imagesFile(id), `${ref}\n`)
}

export function trackedImages(id: string): string[] {
  try { return [...new Set(fs.readFileSync(imagesFile(id), 'utf8').split('\n').filter(Boolean))] } catch { return [] }
}
