// A cache's size and hit counters, from `du -sk` and the registry's expvar JSON. Pure.
//
// distribution (2.8 and 3.0) publishes registry.proxy.{blobs,manifests} = {Requests, Hits, Misses, BytesPulled,
// BytesPushed} through expvar on its debug server (registry/proxy/proxymetrics.go). The counters live in the
// process: they start at 0 whenever the cache container starts.

export interface ProxyCounters { requests: number; hits: number; misses: number }

export interface CacheStats {
  /** bytes in its storage, when du answered */
  sizeBytes?: number
  blobs?: ProxyCounters
  manifests?: ProxyCounters
}

const counters = (o: unknown): ProxyCounters | undefined => {
  if (!o || typeof o !== 'object') return undefined
  const m = o as Record<string, unknown>
  const n = (k: string) => (typeof m[k] === 'number' ? (m[k] as number) : 0)
  return { requests: n('Requests'), hits: n('Hits'), misses: n('Misses') }
}

export function parseCacheStats(duOut: string, varsOut: string): CacheStats {
  const out: CacheStats = {}
  const kb = /^(\d+)\s/.exec(duOut.trim())
  if (kb) out.sizeBytes = Number(kb[1]) * 1024
  try {
    const proxy = (JSON.parse(varsOut) as { registry?: { proxy?: { blobs?: unknown; manifests?: unknown } } }).registry?.proxy
    const b = counters(proxy?.blobs)
    const m = counters(proxy?.manifests)
    if (b) out.blobs = b
    if (m) out.manifests = m
  } catch { /* no debug server answered: counters unknown */ }
  return out
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`
}

/** "12 hits / 3 misses (blobs 10/2, manifests 2/1)" or why it is unknown. */
export function describeHits(s: CacheStats): string {
  if (!s.blobs && !s.manifests) return 'hits unknown (debug server not answering)'
  const b = s.blobs ?? { requests: 0, hits: 0, misses: 0 }
  const m = s.manifests ?? { requests: 0, hits: 0, misses: 0 }
  return `${b.hits + m.hits} hits / ${b.misses + m.misses} misses since start (blobs ${b.hits}/${b.misses}, manifests ${m.hits}/${m.misses})`
}
