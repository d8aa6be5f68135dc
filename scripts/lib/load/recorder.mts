// Aggregates request results into what the live line and the summary show. Pure: time comes in with each call.

import { errorRate, LatencyHistogram, RateWindow, type RateEstimate } from './stats.mts'
import type { RequestResult } from './driver.mts'

/** A request counts as failed when no answer came or the answer is an HTTP error (>= 400). */
export const isFailure = (r: Pick<RequestResult, 'status' | 'error'>): boolean => r.error !== undefined || (r.status ?? 0) >= 400

export interface Percentiles { p50: number; p90: number; p99: number }

export interface LiveSnapshot {
  elapsedMs: number
  completed: number
  failures: number
  /** completions per second over the last few seconds */
  rps: number
  /** latency percentiles of the answers since the previous snapshot (what is happening now) */
  recent?: Percentiles
  /** over the whole run so far */
  total?: Percentiles
  errorRate: number
}

export interface LoadSummary {
  completed: number
  ok: number
  failures: number
  /** error share with its confidence interval */
  errorRate: RateEstimate
  /** answers by HTTP status, e.g. {"200": 712, "500": 288} */
  statuses: Record<string, number>
  /** requests without an answer, by reason */
  errors: Record<string, number>
  elapsedMs: number
  /** completed requests per second over the whole run */
  throughput: number
  latencyMs: { min: number; mean: number; p50: number; p90: number; p99: number; max: number } | undefined
}

export class LoadRecorder {
  readonly #total = new LatencyHistogram()
  readonly #recent = new LatencyHistogram()
  readonly #window: RateWindow
  readonly #statuses = new Map<number, number>()
  readonly #errors = new Map<string, number>()
  readonly #start: number
  #failures = 0

  constructor(start: number, windowMs = 5000) {
    this.#start = start
    this.#window = new RateWindow(windowMs, 100, start)
  }

  add(r: RequestResult): void {
    this.#total.record(r.latencyMs)
    this.#recent.record(r.latencyMs)
    this.#window.add(r.at)
    if (r.status !== undefined) this.#statuses.set(r.status, (this.#statuses.get(r.status) ?? 0) + 1)
    if (r.error !== undefined) this.#errors.set(r.error, (this.#errors.get(r.error) ?? 0) + 1)
    if (isFailure(r)) this.#failures++
  }

  get completed(): number { return this.#total.count }
  get failures(): number { return this.#failures }
  /** every request failed without any HTTP answer (nothing listening, all timed out) */
  get noAnswers(): boolean { return this.#total.count > 0 && this.#statuses.size === 0 }

  /** the state right now; starts a new "recent" interval */
  live(now: number): LiveSnapshot {
    const pct = (h: LatencyHistogram): Percentiles | undefined => (h.count ? { p50: h.percentile(50)!, p90: h.percentile(90)!, p99: h.percentile(99)! } : undefined)
    const recent = pct(this.#recent)
    this.#recent.reset()
    const completed = this.#total.count
    return {
      elapsedMs: now - this.#start,
      completed,
      failures: this.#failures,
      rps: this.#window.rate(now),
      ...(recent ? { recent } : {}),
      ...(completed ? { total: pct(this.#total)! } : {}),
      errorRate: completed ? this.#failures / completed : 0,
    }
  }

  summary(endedAt: number, confidence = 0.95): LoadSummary {
    const completed = this.#total.count
    const elapsedMs = Math.max(0, endedAt - this.#start)
    const s = this.#total.snapshot()
    const sortedKeys = <K,>(m: Map<K, number>) => Object.fromEntries([...m.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([k, v]) => [String(k), v]))
    return {
      completed,
      ok: completed - this.#failures,
      failures: this.#failures,
      errorRate: errorRate(this.#failures, completed, confidence),
      statuses: sortedKeys(this.#statuses),
      errors: sortedKeys(this.#errors),
      elapsedMs,
      throughput: elapsedMs > 0 ? (completed * 1000) / elapsedMs : 0,
      latencyMs: completed
        ? { min: s.min, mean: s.mean, p50: this.#total.percentile(50)!, p90: this.#total.percentile(90)!, p99: this.#total.percentile(99)!, max: s.max }
        : undefined,
    }
  }
}
