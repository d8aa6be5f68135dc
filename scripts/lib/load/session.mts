// One load run, wired: preflight the target, drive the load, show the live line (and the HPA), summarise.

import { performance } from 'node:perf_hooks'
import { EXIT, StepError } from '../shell/errors.mts'
import type { Runner } from '../shell/run.mts'
import { isInteractiveOutput } from '../shell/ui.mts'
import { drive, getOnce, type DriveOutcome } from './driver.mts'
import { watchHpa, type HpaWatch } from './hpa-watch.mts'
import type { HpaTimeline } from './hpa.mts'
import type { ResolvedPlan } from './plan.mts'
import { LoadRecorder, type LoadSummary } from './recorder.mts'
import { describeRun, liveLine, summaryText, type RunDescription } from './render.mts'

export interface SessionInput {
  plan: ResolvedPlan
  /** the base URL requests go to (the --url, or the local end of a port-forward) */
  base: string
  via?: string
  runner: Runner
  /** kube context for the HPA watch */
  context: string
  signal: AbortSignal
  /** where live lines go (stderr) */
  log: NodeJS.WriteStream
  env?: NodeJS.ProcessEnv
}

export interface SessionResult {
  description: RunDescription
  summary: LoadSummary
  outcome: DriveOutcome
  hpa?: HpaTimeline
  text: string
}

export interface Session {
  /** the summary so far (for Ctrl-C: print what was measured before the interrupt) */
  partial(): SessionResult
  done: Promise<SessionResult>
}

/** Fail fast when nothing answers at the target, before a long run of identical connection errors. */
export async function preflight(url: URL, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const r = await getOnce(url, Math.min(timeoutMs, 10_000), signal)
  if (r.error !== undefined && r.error !== 'aborted') {
    throw new StepError({ step: 'load/target', message: `no answer from ${url.href}: ${r.error}`, hint: 'start the app (npm run app) or check the URL / port-forward; up and status show the cluster side', exitCode: EXIT.checkFailed })
  }
}

export function startSession(input: SessionInput): Session {
  const { plan } = input
  const url = new URL(input.base)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${plan.path}`
  const description: RunDescription = {
    url: url.href,
    concurrency: plan.concurrency,
    ...(plan.rate !== undefined ? { rate: plan.rate } : {}),
    ...(plan.durationMs !== undefined ? { durationMs: plan.durationMs } : {}),
    ...(plan.requests !== undefined ? { requests: plan.requests } : {}),
    ...(input.via ? { via: input.via } : {}),
  }
  const interactive = isInteractiveOutput(input.log, input.env ?? process.env)
  const intervalMs = plan.intervalMs ?? (interactive ? 1000 : 5000)
  const start = performance.now()
  const recorder = new LoadRecorder(start)
  let outcome: DriveOutcome = { startedAt: start, endedAt: start, sent: 0, late: 0, aborted: false }
  let hpa: HpaWatch | undefined

  const write = (line: string) => {
    if (interactive) input.log.write(`\r\u001b[2K${line}`)
    else input.log.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)
  }

  const result = (endedAt: number): SessionResult => {
    const summary = recorder.summary(endedAt, plan.confidence)
    const timeline = hpa?.timeline
    return { description, summary, outcome, ...(timeline ? { hpa: timeline } : {}), text: summaryText(summary, description, timeline, outcome.late) }
  }

  const done = (async () => {
    input.log.write(`${describeRun(description)}\n`)
    if (plan.hpa && plan.env) {
      hpa = watchHpa({ runner: input.runner, context: input.context, namespace: `demo-${plan.env}`, intervalMs: plan.hpaIntervalMs, elapsed: () => performance.now() - start })
    }
    const ticker = setInterval(() => write(liveLine(recorder.live(performance.now()), hpa?.view)), intervalMs)
    try {
      outcome = await drive({
        url,
        concurrency: plan.concurrency,
        timeoutMs: plan.timeoutMs,
        ...(plan.durationMs !== undefined ? { durationMs: plan.durationMs } : {}),
        ...(plan.requests !== undefined ? { requests: plan.requests } : {}),
        ...(plan.rate !== undefined ? { rate: plan.rate } : {}),
      }, { signal: input.signal, onResult: (r) => recorder.add(r) })
    } finally {
      clearInterval(ticker)
      await hpa?.stop()
    }
    write(liveLine(recorder.live(performance.now()), hpa?.view))
    if (interactive) input.log.write('\n')
    return result(outcome.endedAt)
  })()

  return { partial: () => result(performance.now()), done }
}

/** The verdict on a finished run: StepError when nothing answered or the error rate is over the limit. */
export function verdict(r: SessionResult, maxErrorRate: number | undefined): StepError | undefined {
  const s = r.summary
  if (s.completed > 0 && Object.keys(s.statuses).length === 0) {
    const reasons = Object.entries(s.errors).map(([k, v]) => `${k} x${v}`).join(', ')
    return new StepError({ step: 'load', message: `no request got an answer (${reasons})`, hint: 'is the target up? try npx zx scripts/smoke.mts --url <base>', exitCode: EXIT.checkFailed })
  }
  if (maxErrorRate !== undefined && s.errorRate.rate > maxErrorRate) {
    return new StepError({ step: 'load', message: `error rate ${(s.errorRate.rate * 100).toFixed(1)}% is above --max-error-rate ${maxErrorRate}`, hint: 'look at the statuses above and the app logs (kubectl logs -n demo-<env> deploy/demo)', exitCode: EXIT.checkFailed })
  }
  return undefined
}

export const summaryJson = (r: SessionResult) => ({
  target: r.description.url,
  ...(r.description.via ? { via: r.description.via } : {}),
  concurrency: r.description.concurrency,
  ...(r.description.rate !== undefined ? { rate: r.description.rate } : {}),
  ...r.summary,
  sent: r.outcome.sent,
  late: r.outcome.late,
  interrupted: r.outcome.aborted,
  ...(r.hpa ? { hpa: r.hpa } : {}),
})
