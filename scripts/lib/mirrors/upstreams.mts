// The upstream registries a pull-through cache can stand in front of, and the REGISTRY_MIRRORS setting that picks
// them. Pure (no I/O).

export interface Upstream {
  /** the registry host as it appears in image references (docker.io, ghcr.io, ...) */
  host: string
  /** where the cache fetches from (distribution's proxy.remoteurl) */
  remote: string
  /**
   * containerd's `server` for this host: where it falls back when the cache does not answer. docker.io is the
   * one host whose name is not its API endpoint (containerd's hosts.md: server = "https://registry-1.docker.io").
   */
  server: string
}

export const DEFAULT_UPSTREAMS: readonly Upstream[] = [
  { host: 'docker.io', remote: 'https://registry-1.docker.io', server: 'https://registry-1.docker.io' },
  { host: 'ghcr.io', remote: 'https://ghcr.io', server: 'https://ghcr.io' },
  { host: 'quay.io', remote: 'https://quay.io', server: 'https://quay.io' },
  { host: 'registry.k8s.io', remote: 'https://registry.k8s.io', server: 'https://registry.k8s.io' },
]

export const MIRRORS_ALLOWED = `on | off | a comma-separated list of ${DEFAULT_UPSTREAMS.map((u) => u.host).join(', ')}, each optionally =<http(s) URL of the registry to fetch from>`

/**
 * REGISTRY_MIRRORS: `on` (every default upstream), `off` (none), or a list such as `docker.io,quay.io` or
 * `docker.io=https://mirror.gcr.io` (the cache of docker.io fetches from another registry holding the same
 * content). Returns the upstreams, or a reason the value is invalid.
 */
export function parseMirrors(raw: string): { upstreams: Upstream[] } | { error: string } {
  const v = raw.trim()
  if (v === 'on' || v === 'true' || v === '1') return { upstreams: [...DEFAULT_UPSTREAMS] }
  if (v === 'off' || v === 'false' || v === '0') return { upstreams: [] }
  const out: Upstream[] = []
  for (const item of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=')
    const host = (eq === -1 ? item : item.slice(0, eq)).trim().toLowerCase()
    const known = DEFAULT_UPSTREAMS.find((u) => u.host === host)
    if (!known) return { error: `unknown upstream "${host}"` }
    if (out.some((u) => u.host === host)) return { error: `${host} is listed twice` }
    if (eq === -1) { out.push({ ...known }); continue }
    const url = item.slice(eq + 1).trim()
    let u: URL
    try { u = new URL(url) } catch { return { error: `${host}=${url}: not a URL` } }
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.pathname.replace(/\/+$/, '') !== '' || u.search || u.username) {
      return { error: `${host}=${url}: expected http(s)://host[:port] without a path or credentials` }
    }
    out.push({ ...known, remote: `${u.protocol}//${u.host}` })
  }
  if (!out.length) return { error: 'empty' }
  return { upstreams: out }
}

/** A name-safe form of an upstream host (docker.io -> docker-io): container names double as DNS names on the kind network. */
export const upstreamSlug = (host: string) => host.replace(/[^a-z0-9]+/g, '-')
