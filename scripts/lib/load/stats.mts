// Statistics of a load run, pure: percentiles (exact on a sorted sample, or from HdrHistogram with bounded
// memory), error rate with a binomial confidence interval, and a sliding-window throughput meter.

import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'

/**
 * Nearest-rank percentile of an ascending sample: the smallest value with at least p% of the sample at or
 * below it (no interpolation, so the answer is a latency that was actually observed). HdrHistogram takes
 * rank round(p% of n) and wrk round(p% of n + 0.5): all three are at most one rank apart. p in [0, 100];
 * p=0 gives the minimum. Undefined for an empty sample.
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in [0, 100]`)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]
}

/** highest latency a histogram tracks: a day, in microseconds (above it a value is clamped, never dropped) */
export const HIGHEST_US = 86_400_000_000
/** significant decimal digits HdrHistogram keeps: a reported value is at most 0.1% above the true one */
export const SIGNIFICANT_FIGURES = 3

export interface HistogramSnapshot {
  count: number
  min: number
  max: number
  mean: number
}

/**
 * Latency histogram with bounded memory whatever the request count: HdrHistogram (the C implementation Node
 * ships as perf_hooks.createHistogram, the same maths as wrk2 and autocannon) at microsecond resolution and
 * 3 significant digits. Min, max and mean are kept exactly beside it, and percentiles are clamped to
 * [min, max] so a report never shows a latency outside what was observed.
 */
export class LatencyHistogram {
  readonly #h: RecordableHistogram = createHistogram({ lowest: 1, highest: HIGHEST_US, figures: SIGNIFICANT_FIGURES })
  #count = 0
  #sum = 0
  #min = Infinity
  #max = -Infinity

  /** record one latency in milliseconds (stored at microsecond resolution) */
  record(ms: number): void {
    const us = Math.min(HIGHEST_US, Math.max(0, Math.round(ms * 1000)))
    // HdrHistogram's lowest trackable value is 1: a sub-microsecond answer counts as 1 us there, exactly here
    this.#h.record(Math.max(1, us))
    this.#count++
    this.#sum += us
    if (us < this.#min) this.#min = us
    if (us > this.#max) this.#max = us
  }

  merge(other: LatencyHistogram): void {
    this.#h.add(other.#h)
    this.#count += other.#count
    this.#sum += other.#sum
    this.#min = Math.min(this.#min, other.#min)
    this.#max = Math.max(this.#max, other.#max)
  }

  reset(): void {
    this.#h.reset()
    this.#count = 0
    this.#sum = 0
    this.#min = Infinity
    this.#max = -Infinity
  }

  get count(): number { return this.#count }

  /**
   * Percentile in milliseconds as HdrHistogram defines it (the value at rank round(p% of count), at least 1,
   * reported as the top of its bucket), clamped to [min, max]; p=0 is the minimum.
   */
  percentile(p: number): number | undefined {
    if (this.#count === 0) return undefined
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in [0, 100]`)
    if (p === 0) return this.#min / 1000
    return Math.min(this.#max, Math.max(this.#min, this.#h.percentile(p))) / 1000
  }

  snapshot(): HistogramSnapshot {
    if (this.#count === 0) return { count: 0, min: 0, max: 0, mean: 0 }
    return { count: this.#count, min: this.#min / 1000, max: this.#max / 1000, mean: this.#sum / this.#count / 1000 }
  }
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9):
 * the z for a two-sided confidence level is normalQuantile(1 - (1 - level) / 2).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability ${p} is not in (0, 1)`)
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239]
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1]
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416]
  const low = 0.02425
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
  }
  if (p > 1 - low) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return (((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
}

export interface RateEstimate {
  /** observed share: failures / trials (0 when there were no trials) */
  rate: number
  /** Wilson score interval at `confidence` (0..1 on both ends) */
  low: number
  high: number
  confidence: number
  failures: number
  trials: number
}

/**
 * Error rate with a Wilson score interval: unlike the normal ("Wald") interval it stays inside [0, 1] and is
 * honest for small samples and rates near 0 or 1 (0 errors in 20 requests is not "0% ± 0").
 */
export function errorRate(failures: number, trials: number, confidence = 0.95): RateEstimate {
  if (!Number.isInteger(failures) || !Number.isInteger(trials) || failures < 0 || trials < 0 || failures > trials) {
    throw new RangeError(`need integers 0 <= failures (${failures}) <= trials (${trials})`)
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence ${confidence} is not in (0, 1)`)
  if (trials === 0) return { rate: 0, low: 0, high: 1, confidence, failures, trials }
  const z = normalQuantile(1 - (1 - confidence) / 2)
  const p = failures / trials
  const z2n = (z * z) / trials
  const centre = (p + z2n / 2) / (1 + z2n)
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials))
  // exact ends: no failures means the lower bound is 0, all failures means the upper bound is 1
  const low = failures === 0 ? 0 : Math.max(0, centre - half)
  const high = failures === trials ? 1 : Math.min(1, centre + half)
  return { rate: p, low, high, confidence, failures, trials }
}

/** Is `expected` a plausible true rate for what was observed (inside the interval)? */
export const consistentWith = (e: RateEstimate, expected: number): boolean => expected >= e.low && expected <= e.high

/**
 * Completions per second over the last `windowMs`, from per-100ms slots (bounded memory). `now` is passed in
 * so it is testable without clocks.
 */
export class RateWindow {
  readonly windowMs: number
  readonly slotMs: number
  #slots: number[]
  #stamps: number[]
  #start: number

  constructor(windowMs = 5000, slotMs = 100, start = 0) {
    if (windowMs < slotMs || slotMs <= 0) throw new RangeError('windowMs must be >= slotMs > 0')
    this.windowMs = windowMs
    this.slotMs = slotMs
    const n = Math.ceil(windowMs / slotMs)
    this.#slots = new Array<number>(n).fill(0)
    this.#stamps = new Array<number>(n).fill(-1)
    this.#start = start
  }

  add(now: number, n = 1): void {
    const slot = Math.floor(now / this.slotMs)
    const i = slot % this.#slots.length
    if (this.#stamps[i] !== slot) { this.#stamps[i] = slot; this.#slots[i] = 0 }
    this.#slots[i]! += n
  }

  /** events per second over the window ending at `now` (over less time right after the start) */
  rate(now: number): number {
    const current = Math.floor(now / this.slotMs)
    const oldest = current - this.#slots.length + 1
    let sum = 0
    for (let i = 0; i < this.#slots.length; i++) {
      const s = this.#stamps[i]!
      if (s >= oldest && s <= current) sum += this.#slots[i]!
    }
    // the current slot is only partly over: count the elapsed part, and never more than the time since start
    const covered = Math.min(this.windowMs - this.slotMs + (now - current * this.slotMs), now - this.#start)
    return covered > 0 ? (sum * 1000) / covered : 0
  }
}
