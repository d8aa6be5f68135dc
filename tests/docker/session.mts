// A tier run from start to end: begin (remove what dead runs left, register, record the engine's events), end
// (remove everything of the run, the shared stand-ins too when it was the last live run, then prove nothing is
// left and that the event stream shows what the tier is for).

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { docker } from './engine.mts'
import { alive, eventsFile, newRunId, procStart, readRecord, readRecords, removeRecord, runIsLive, withLock, writeRecord, type RunRecord } from './runs.mts'
import { isEmpty, leftoversOf, readEvents, runScope, staleRuns, sweep, sweepFamily, type Leftovers } from './sweep.mts'

/** The recorder leads its own process group (a shell loop and its `docker events`): stop the whole group. */
function stopRecorder(rec: RunRecord | undefined): void {
  const e = rec?.events
  if (!e || !alive(e.pid, e.start)) return
  try { process.kill(-e.pid, 'SIGTERM') } catch { try { process.kill(e.pid, 'SIGTERM') } catch { /* gone */ } }
}

/** Remove what runs whose owner died left behind. Returns one line per swept run. */
export function sweepStale(): string[] {
  const notes: string[] = []
  for (const id of staleRuns()) {
    stopRecorder(readRecord(id))
    const problems = sweep(runScope(id))
    removeRecord(id)
    notes.push(`swept the leftovers of dead run ${id}${problems.length ? ` (${problems.join('; ')})` : ''}`)
  }
  return notes
}

/** Start a run owned by `ownerPid`: stale runs swept, record written, `docker events` recorded from now on. */
export function beginRun(ownerPid: number): { id: string; notes: string[] } {
  return withLock(() => {
    const notes = sweepStale()
    if (!readRecords().some((r) => runIsLive(r.id))) notes.push(...sweepFamily().map((p) => `stale stand-ins: ${p}`))
    const id = newRunId(ownerPid)
    const since = Math.floor(Date.now() / 1000) - 1
    const rec: RunRecord = { id, pid: ownerPid, created: new Date().toISOString(), ...(procStart(ownerPid) ? { start: procStart(ownerPid)! } : {}) }
    writeRecord(rec)
    // --since replays from the start even if the recorder attaches late; the loop reattaches when the engine
    // restarts (events from before a restart are gone from the engine, but were written already); detached, so it
    // outlives this process until endRun (or the next run's stale sweep) stops it
    const out = fs.openSync(eventsFile(id), 'a')
    const loop = `while :; do docker events --since ${since} --format '{{json .}}'; sleep 1; done`
    const child = spawn('sh', ['-c', loop], { detached: true, stdio: ['ignore', out, 'ignore'] })
    fs.closeSync(out)
    child.unref()
    if (child.pid) writeRecord({ ...rec, events: { pid: child.pid, file: eventsFile(id), ...(procStart(child.pid) ? { start: procStart(child.pid)! } : {}) } })
    return { id, notes }
  })
}

export interface EventSummary { kindNodes: number; registries: number; pushes: string[] }

/** What the engine reported for this run: node stand-ins created with kind's label, registries with ours, pushes. */
export function eventSummary(id: string): EventSummary {
  const prefix = `ptier-${id}-`
  const created = readEvents(id).filter((e) => e.Type === 'container' && e.Action === 'create' && (e.Actor?.Attributes?.name ?? '').startsWith(prefix))
  return {
    kindNodes: created.filter((e) => e.Actor?.Attributes?.['io.x-k8s.kind.cluster']).length,
    registries: created.filter((e) => e.Actor?.Attributes?.['dev.platform.role'] === 'registry').length,
    pushes: readEvents(id).filter((e) => e.Type === 'image' && e.Action === 'push').map((e) => e.Actor?.ID ?? e.id ?? ''),
  }
}

export interface RunEnd { problems: string[]; leftovers: Leftovers; last: boolean; events: EventSummary }

/** End run `id`: sweep it (and the stand-ins if no other run lives), then look again for anything left. */
export function endRun(id: string): RunEnd {
  return withLock(() => {
    const rec = readRecord(id)
    const scope = runScope(id)
    const problems = sweep(scope)
    const last = !readRecords().some((r) => r.id !== id && runIsLive(r.id))
    if (last) problems.push(...sweepFamily())
    const leftovers = leftoversOf(scope, last)
    const events = eventSummary(id)
    stopRecorder(rec)
    removeRecord(id)
    return { problems, leftovers, last, events }
  })
}

export function describeLeftovers(l: Leftovers): string {
  if (isEmpty(l)) return 'nothing left'
  return (['containers', 'networks', 'volumes', 'images'] as const).filter((k) => l[k].length).map((k) => `${k}: ${l[k].join(', ')}`).join('; ')
}

/** The engine still answers (a run that lost it cannot sweep; the next run will). */
export const engineAnswers = (): boolean => docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000 }).status === 0
