// How long to wait before re-establishing a dropped port-forward. Pure.

/** 0.5 s after the first failure, doubling, at most 10 s: quick after a pod restart, gentle when the cluster is gone. */
export function restartDelay(consecutiveFailures: number, baseMs = 500, capMs = 10_000): number {
  const n = Math.max(0, Math.floor(consecutiveFailures))
  return Math.min(capMs, baseMs * 2 ** Math.min(n, 30))
}

/** A forward that stayed up this long counts as healthy again: its failure count starts over. */
export const STABLE_AFTER_MS = 30_000

/** Consecutive failed attempts after which a forward is given up (about a minute and a half of trying). */
export const MAX_CONSECUTIVE_FAILURES = 12
