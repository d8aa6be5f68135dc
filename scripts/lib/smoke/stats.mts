// How many failed /work calls out of n are consistent with a configured FAIL_RATE p?
// The failures of n independent calls follow Binomial(n, p). The accepted band [min, max] is the narrowest
// one whose tails each hold at most alpha/2 of the probability, so a healthy app fails the check in at most
// `alpha` of runs (false alarm) whatever n and p are; a band on the ratio alone (p ± x%) would be either
// flaky for small n or blind for large n.

/** P(X = k) for X ~ Binomial(n, p), for every k, computed in log space (no underflow for large n). */
export function binomialPmf(n: number, p: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a whole number >= 0, got ${n}`)
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be within 0..1, got ${p}`)
  if (p === 0) return Array.from({ length: n + 1 }, (_, k) => (k === 0 ? 1 : 0))
  if (p === 1) return Array.from({ length: n + 1 }, (_, k) => (k === n ? 1 : 0))
  const logs: number[] = [n * Math.log1p(-p)]
  const ratio = Math.log(p) - Math.log1p(-p)
  for (let k = 0; k < n; k++) logs.push(logs[k]! + Math.log(n - k) - Math.log(k + 1) + ratio)
  return logs.map(Math.exp)
}

export interface FailureBand {
  /** fewest failures still consistent with p (0 unless n is large and p clearly > 0) */
  min: number
  /** most failures still consistent with p */
  max: number
  /** max / n: the effective --max-error-rate */
  maxRate: number
  alpha: number
}

/** The accepted number of failures for n calls at failure probability p, two-sided with total false-alarm alpha. */
export function failureBand(n: number, p: number, alpha = 0.001): FailureBand {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be within (0, 1), got ${alpha}`)
  const pmf = binomialPmf(n, p)
  const half = alpha / 2
  // upper: smallest max with P(X > max) <= alpha/2
  let max = n
  let tail = 0
  while (max > 0 && tail + pmf[max]! <= half) { tail += pmf[max]!; max-- }
  // lower: largest min with P(X < min) <= alpha/2
  let min = 0
  let low = 0
  while (min < n && low + pmf[min]! <= half) { low += pmf[min]!; min++ }
  return { min: Math.min(min, max), max, maxRate: n === 0 ? 0 : max / n, alpha }
}

/** Failures allowed by a plain ratio limit (the --max-error-rate flag): the share may not EXCEED it. */
export const maxFailuresForRate = (n: number, rate: number): number => Math.floor(n * rate + 1e-9)
