// How up tells what it repaired on a platform that had stopped. Pure.

/** The closing block: one line per repair, or nothing when the platform needed none. */
export function healedLines(healed: string[], dryRun: boolean): string[] {
  if (healed.length === 0) return []
  return ['', dryRun ? 'would heal (the platform had stopped):' : 'healed (the platform had stopped):', ...healed.map((h) => `  - ${h}`)]
}
