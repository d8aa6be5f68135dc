// Digests as Flux and the registry spell them ("sha256:<64 hex>"), what an environment runs, short forms. Pure.

const FULL = /sha256:[0-9a-f]{64}/

/** "dev@sha256:<hex>" (tag ref), "sha256:<hex>" (digest ref), "localhost:5001/apps@sha256:<hex>" -> "sha256:<hex>". */
export function digestOf(text: string | undefined): string | undefined {
  return text ? FULL.exec(text)?.[0] : undefined
}

/** "sha256:3f2a9c1d4e5f" : enough to tell digests apart on one screen, as status and the diff show them. */
export function shortDigest(digest: string | undefined): string {
  if (!digest) return '-'
  const hex = digest.replace(/^sha256:/, '')
  return `sha256:${hex.slice(0, 12)}`
}

/** What the user typed for --digest: "sha256:<hex>" or "<hex>", at least 7 hex digits; undefined when malformed. */
export function parseDigestInput(input: string): { full?: string; prefix: string } | undefined {
  const m = /^(?:sha256:)?([0-9a-f]{7,64})$/.exec(input.trim().toLowerCase())
  if (!m) return undefined
  const hex = m[1]!
  return hex.length === 64 ? { full: `sha256:${hex}`, prefix: hex } : { prefix: hex }
}

export type Resolved = { ok: true; digest: string } | { ok: false; reason: 'unknown' | 'ambiguous'; candidates: string[] }

/**
 * A full digest stands for itself (the registry may hold digests no tag names any more); a prefix must match
 * exactly one digest we know of (tags, the local move log).
 */
export function resolveDigest(input: { full?: string; prefix: string }, known: Iterable<string>): Resolved {
  if (input.full) return { ok: true, digest: input.full }
  const candidates = [...new Set([...known].filter((d) => d.replace(/^sha256:/, '').startsWith(input.prefix)))].sort()
  if (candidates.length === 1) return { ok: true, digest: candidates[0]! }
  return { ok: false, reason: candidates.length ? 'ambiguous' : 'unknown', candidates }
}
