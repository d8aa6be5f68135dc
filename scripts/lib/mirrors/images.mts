// Which public images the platform needs, and which of them the caches already hold. Pure, apart from reading
// cluster/images.yaml.

import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { DATA_DIR } from './plan.mts'

export interface ImageRef {
  /** registry host as containerd sees it (docker.io for Docker Hub) */
  host: string
  /** repository path on that registry (library/traefik for Docker Hub's official images) */
  repo: string
  tag?: string
  digest?: string
}

/** Split an image reference the way containerd resolves it (docker.io and library/ implied). */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim()
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at !== -1) { digest = rest.slice(at + 1); rest = rest.slice(0, at) }
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon) }
  const slash = rest.indexOf('/')
  const first = slash === -1 ? '' : rest.slice(0, slash)
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost'
  let host = hasHost ? first : 'docker.io'
  let repo = hasHost ? rest.slice(slash + 1) : rest
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') host = 'docker.io'
  if (host === 'docker.io' && !repo.includes('/')) repo = `library/${repo}`
  return { host, repo, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) }
}

export const formatRef = (r: ImageRef) => `${r.host}/${r.repo}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`

export interface NeededImage { ref: string; from: string }

/** cluster/images.yaml: the add-on charts' images, with the chart version each list was written for. */
export interface ImageList { charts: Record<string, { version: string; images: string[] }> }

export function loadImageList(root: string): ImageList {
  const raw = YAML.parse(fs.readFileSync(path.join(root, 'cluster', 'images.yaml'), 'utf8')) as Partial<ImageList> | null
  return { charts: raw?.charts ?? {} }
}

/** Every image `up` will have the nodes pull from public registries, named with where it comes from. */
export function neededImages(list: ImageList, extra: NeededImage[]): NeededImage[] {
  const out: NeededImage[] = []
  for (const [chart, c] of Object.entries(list.charts)) for (const ref of c.images) out.push({ ref, from: `chart ${chart} ${c.version}` })
  out.push(...extra)
  const seen = new Set<string>()
  return out.filter((i) => { const k = formatRef(parseImageRef(i.ref)); if (seen.has(k)) return false; seen.add(k); return true })
}

/** Container images in rendered manifests (e.g. `flux install --export`): every (init) container's `image`. */
export function imagesInManifests(yaml: string): string[] {
  const out = new Set<string>()
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(walk); return }
    if (!v || typeof v !== 'object') return
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if ((k === 'containers' || k === 'initContainers') && Array.isArray(x)) {
        for (const c of x) if (c && typeof (c as { image?: unknown }).image === 'string') out.add((c as { image: string }).image)
      }
      walk(x)
    }
  }
  for (const doc of YAML.parseAllDocuments(yaml)) { try { walk(doc.toJS()) } catch { /* a broken document names no image */ } }
  return [...out].sort()
}

/** What one cache holds: tags and digests per repository, read from its storage (`find ... -name link`). */
export interface CacheContent { repos: Map<string, { tags: Set<string>; digests: Set<string> }> }

const REPOS_DIR = `${DATA_DIR}/docker/registry/v2/repositories/`

/**
 * Parse the link files of a distribution registry's filesystem storage (the same layout in 2.8 and 3.0):
 * `<repo>/_manifests/tags/<tag>/current/link` is a tag, `<repo>/_manifests/revisions/sha256/<hex>/link` a
 * manifest held by digest.
 */
export function parseCacheListing(stdout: string): CacheContent {
  const repos: CacheContent['repos'] = new Map()
  for (const line of stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (!line.startsWith(REPOS_DIR)) continue
    const rel = line.slice(REPOS_DIR.length)
    const i = rel.indexOf('/_manifests/')
    if (i <= 0) continue
    const repo = rel.slice(0, i)
    const parts = rel.slice(i + '/_manifests/'.length).split('/')
    const entry = repos.get(repo) ?? { tags: new Set<string>(), digests: new Set<string>() }
    if (parts[0] === 'tags' && parts[2] === 'current' && parts[3] === 'link' && parts[1]) entry.tags.add(parts[1])
    else if (parts[0] === 'revisions' && parts[3] === 'link' && parts[1] && parts[2]) entry.digests.add(`${parts[1]}:${parts[2]}`)
    else continue
    repos.set(repo, entry)
  }
  return { repos }
}

export type Availability = 'cached' | 'missing' | 'not-mirrored'

export interface ImageCheck extends NeededImage {
  status: Availability
  /** the upstream host, for grouping */
  host: string
}

/** Which needed images a cache holds (by tag, by digest, or any tag when the list names no tag). */
export function checkImages(needed: NeededImage[], caches: Map<string, CacheContent>): ImageCheck[] {
  return needed.map((n) => {
    const r = parseImageRef(n.ref)
    const cache = caches.get(r.host)
    if (!cache) return { ...n, host: r.host, status: 'not-mirrored' }
    const e = cache.repos.get(r.repo)
    const held = Boolean(e) && (r.digest ? e!.digests.has(r.digest) : r.tag ? e!.tags.has(r.tag) : e!.tags.size > 0)
    return { ...n, host: r.host, status: held ? 'cached' : 'missing' }
  })
}

/** One line per image that is not in a cache, for the offline check's message. */
export function describeGaps(checks: ImageCheck[]): string[] {
  return checks.filter((c) => c.status !== 'cached').map((c) => `${c.ref} (${c.from}): ${c.status === 'missing' ? `not in the ${c.host} cache` : `${c.host} has no cache (REGISTRY_MIRRORS)`}`)
}
