// Go durations as Flux's CRDs accept them (pattern ^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$): 30s, 5m, 1h30m, 1.5h.

const FLUX_DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const

export function isFluxDuration(value: unknown): value is string {
  return typeof value === 'string' && FLUX_DURATION.test(value)
}

/** Milliseconds of a Flux/Go duration, or undefined when it is not one. */
export function parseGoDuration(value: string): number | undefined {
  if (!isFluxDuration(value)) return undefined
  let ms = 0
  for (const m of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]
  return Math.round(ms)
}
