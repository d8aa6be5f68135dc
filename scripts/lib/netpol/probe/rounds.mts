// Probe rounds with expectation-aware re-probing (what upstream e2e does per pair, here per round):
// round 1 probes every cell; each later round re-probes only the cells that are still wrong or unobserved,
// because policies take time to be programmed. It stops when everything matches or the deadline passes.
// Each round makes at most ONE exec per source pod, carrying all of that pod's pending targets.

import { buildProbeScript, parseProbeOutput, type ProbeOutcome, type ProbeSpec } from './script.mts'

export interface PlannedProbe {
  /** cellKey() of the cell this probe observes */
  key: string
  expected: boolean
  spec: Omit<ProbeSpec, 'id'>
}

export interface SourcePlan {
  /** "ns/name" of the source pod */
  source: string
  probes: PlannedProbe[]
}

export interface ExecResult {
  ok: boolean
  stdout: string
  /** one line on why the exec itself failed */
  error?: string
}

export interface ProbeIO {
  exec(source: string, script: string): Promise<ExecResult>
}

export interface Observation extends ProbeOutcome {
  attempts: number
}

export interface RoundOptions {
  timeoutSec: number
  /** stop re-probing after this long (measured from the start of round 1) */
  deadlineMs: number
  /** pause between rounds */
  intervalMs: number
  /** exec calls in flight at once */
  concurrency: number
  /** hard cap on rounds (besides the deadline) */
  maxRounds?: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  signal?: AbortSignal
  /** after each round: how many sources were exec'd and how many probes are still wrong or unobserved */
  onRound?: (info: { round: number; sources: number; remaining: number }) => void
}

export interface RoundsResult {
  observations: Map<string, Observation>
  rounds: number
  execs: number
  settled: boolean
  durationMs: number
}

/** Runs fn over items with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}

export async function probeRounds(plans: readonly SourcePlan[], io: ProbeIO, options: RoundOptions): Promise<RoundsResult> {
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const t0 = now()
  const observations = new Map<string, Observation>()
  const isDone = (p: PlannedProbe) => {
    const o = observations.get(p.key)
    return o !== undefined && o.class !== 'error' && o.connected === p.expected
  }
  let pending = plans.map((p) => ({ source: p.source, probes: [...p.probes] })).filter((p) => p.probes.length > 0)
  let rounds = 0
  let execs = 0
  while (pending.length > 0) {
    if (options.signal?.aborted) break
    rounds++
    const sourcesThisRound = pending.length
    await pool(pending, options.concurrency, async (plan) => {
      const specs: ProbeSpec[] = plan.probes.map((p, id) => ({ ...p.spec, id }))
      execs++
      const res = await io.exec(plan.source, buildProbeScript(specs, options.timeoutSec))
      const parsed = res.ok || res.stdout ? parseProbeOutput(res.stdout) : new Map<number, ProbeOutcome>()
      plan.probes.forEach((p, id) => {
        const prev = observations.get(p.key)
        const attempts = (prev?.attempts ?? 0) + 1
        const outcome = parsed.get(id)
        if (outcome) observations.set(p.key, { ...outcome, attempts })
        // keep an earlier real observation over a failed exec; otherwise record why nothing was seen
        else if (!prev || prev.class === 'error') observations.set(p.key, { connected: false, class: 'error', detail: res.error ?? 'the probe printed no result for this target', attempts })
        else observations.set(p.key, { ...prev, attempts })
      })
    })
    pending = pending.map((p) => ({ source: p.source, probes: p.probes.filter((x) => !isDone(x)) })).filter((p) => p.probes.length > 0)
    options.onRound?.({ round: rounds, sources: sourcesThisRound, remaining: pending.reduce((n, p) => n + p.probes.length, 0) })
    if (pending.length === 0) break
    if (options.maxRounds !== undefined && rounds >= options.maxRounds) break
    if (now() - t0 + options.intervalMs >= options.deadlineMs) break
    await sleep(options.intervalMs)
  }
  return { observations, rounds, execs, settled: pending.length === 0, durationMs: now() - t0 }
}
