// Removing exactly what a run made, and proving it is gone. A run's objects: containers named ptier-<run>-* or
// labelled dev.platform.test-run=<run> (their anonymous volumes go with `rm -v`), volumes those containers
// mounted (from the run's `docker events` record, which also catches a volume left behind by a container removed
// without -v), networks named ptier-<run>-*, and image tags the run recorded. The stand-in images and everything
// built FROM them are shared by concurrent runs: they go when the last live run ends.

import { docker } from './engine.mts'
import { eventsFile, PREFIX, readRecords, RUN_LABEL, runIsLive, runOfName, runPrefix, trackedImages } from './runs.mts'
import { STANDIN_LABEL } from './standins.mts'
import fs from 'node:fs'

const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean)
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export interface DockerEvent { Type?: string; Action?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; time?: number }

export function readEvents(id: string): DockerEvent[] {
  let text = ''
  try { text = fs.readFileSync(eventsFile(id), 'utf8') } catch { return [] }
  const out: DockerEvent[] = []
  for (const l of lines(text)) { try { out.push(JSON.parse(l) as DockerEvent) } catch { /* a line cut short by the recorder's end */ } }
  return out
}

/**
 * What to sweep: run `id`, all of it (prefix ptier-<id>-) or one test world of it (ptier-<id>-<world>-). The
 * label dev.platform.test-run=<id> only counts for the whole run.
 */
export interface Scope { id: string; prefix: string; images: string[] }

export const runScope = (id: string): Scope => ({ id, prefix: runPrefix(id), images: trackedImages(id) })
const whole = (s: Scope) => s.prefix === runPrefix(s.id)
const inScope = (s: Scope, attrs: Record<string, string> = {}) => (attrs.name ?? '').startsWith(s.prefix) || (whole(s) && attrs[RUN_LABEL] === s.id)

/** Containers in scope by name prefix (or the run label): "<id> <name>". */
export function scopeContainers(s: Scope): { id: string; name: string }[] {
  const byName = docker(['ps', '-a', '--no-trunc', '--filter', `name=^/${esc(s.prefix)}`, '--format', '{{.ID}} {{.Names}}'])
  const byLabel = whole(s) ? docker(['ps', '-a', '--no-trunc', '--filter', `label=${RUN_LABEL}=${s.id}`, '--format', '{{.ID}} {{.Names}}']).stdout : ''
  const seen = new Map<string, string>()
  for (const l of lines(`${byName.stdout}\n${byLabel}`)) {
    const [cid = '', name = ''] = l.split(' ')
    if (name.startsWith(s.prefix) || whole(s)) seen.set(cid, name)
  }
  return [...seen].map(([cid, name]) => ({ id: cid, name }))
}

export function scopeNetworks(s: Scope): string[] {
  return lines(docker(['network', 'ls', '--filter', `name=^${esc(s.prefix)}`, '--format', '{{.Name}}']).stdout).filter((n) => n.startsWith(s.prefix))
}

/** Volumes in scope that still exist: named/labelled for it, or mounted by one of its containers. */
export function scopeVolumes(s: Scope): string[] {
  const events = readEvents(s.id)
  const ours = new Set(events.filter((e) => e.Type === 'container' && e.Action === 'create' && inScope(s, e.Actor?.Attributes)).map((e) => e.Actor?.ID ?? e.id))
  const mounted = new Set(events.filter((e) => e.Type === 'volume' && e.Action === 'mount' && ours.has(e.Actor?.Attributes?.container)).map((e) => e.Actor?.ID ?? ''))
  const existing = lines(docker(['volume', 'ls', '--format', '{{.Name}}']).stdout)
  const labelled = whole(s) ? new Set(lines(docker(['volume', 'ls', '--filter', `label=${RUN_LABEL}=${s.id}`, '--format', '{{.Name}}']).stdout)) : new Set<string>()
  return existing.filter((v) => mounted.has(v) || labelled.has(v) || v.startsWith(s.prefix))
}

const presentImages = (refs: string[]) => refs.filter((r) => docker(['image', 'inspect', '--format', '{{.Id}}', r]).status === 0)

/** Remove everything in scope (never the shared stand-ins). Returns what could not be removed. */
export function sweep(s: Scope): string[] {
  const problems: string[] = []
  const containers = scopeContainers(s)
  if (containers.length) {
    const r = docker(['rm', '-f', '-v', ...containers.map((c) => c.id)], { timeoutMs: 180_000 })
    if (r.status !== 0) problems.push(`docker rm -f -v ${containers.map((c) => c.name).join(' ')}: ${r.stderr.trim()}`)
  }
  for (const v of scopeVolumes(s)) {
    const r = docker(['volume', 'rm', v])
    if (r.status !== 0) problems.push(`docker volume rm ${v}: ${r.stderr.trim()}`)
  }
  for (const n of scopeNetworks(s)) {
    const r = docker(['network', 'rm', n])
    if (r.status !== 0) problems.push(`docker network rm ${n}: ${r.stderr.trim()}`)
  }
  for (const ref of presentImages(s.images)) {
    const r = docker(['rmi', ref])
    if (r.status !== 0 && !/No such image/.test(r.stderr)) problems.push(`docker rmi ${ref}: ${r.stderr.trim()}`)
  }
  return problems
}

interface ImageInfo { Id: string; Parent?: string; RepoTags?: string[] | null; Config?: { Labels?: Record<string, string> | null } }

/** The stand-ins and every image built FROM them (legacy builds record Parent), deepest first. */
export function standinFamily(): { id: string; tags: string[]; depth: number }[] {
  const ids = lines(docker(['images', '-a', '--no-trunc', '--format', '{{.ID}}']).stdout)
  if (!ids.length) return []
  const r = docker(['image', 'inspect', ...new Set(ids)])
  let infos: ImageInfo[] = []
  try { infos = JSON.parse(r.stdout || '[]') as ImageInfo[] } catch { return [] }
  const byId = new Map(infos.map((i) => [i.Id, i]))
  const rootOf = (i: ImageInfo | undefined, depth = 0): number | undefined => {
    for (let cur = i, d = depth; cur; cur = cur.Parent ? byId.get(cur.Parent) : undefined, d++) {
      if (cur.Config?.Labels?.[STANDIN_LABEL]) return d
    }
    return undefined
  }
  const out: { id: string; tags: string[]; depth: number }[] = []
  for (const i of infos) {
    const d = rootOf(i)
    if (d !== undefined) out.push({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), depth: d })
  }
  return out.sort((a, b) => b.depth - a.depth)
}

/**
 * Remove the stand-in family: build containers a failed legacy build left on its intermediate images, then every
 * tag and image, deepest first. Containers of anyone else keep their image (it is reported, never forced).
 */
export function sweepFamily(): string[] {
  const problems: string[] = []
  const family = standinFamily()
  const untagged = new Set(family.filter((f) => f.tags.length === 0).map((f) => f.id))
  for (const f of family) {
    const users = lines(docker(['ps', '-a', '--no-trunc', '--filter', `ancestor=${f.id}`, '--format', '{{.ID}} {{.Image}} {{.State}} {{.Names}}']).stdout)
    for (const u of users) {
      const [cid = '', image = '', state = '', name = ''] = u.split(' ')
      // a stopped container created from an untagged intermediate image is a failed `docker build` step's
      const buildLeftover = state !== 'running' && (untagged.has(image) || /^sha256:|^[0-9a-f]{12,64}$/.test(image))
      if (buildLeftover || runOfName(name)) docker(['rm', '-f', '-v', cid])
    }
  }
  for (const f of family) {
    for (const t of f.tags) docker(['rmi', t])
    if (!f.tags.length) docker(['rmi', f.id])
  }
  for (const f of standinFamily()) problems.push(`image ${f.tags.join(', ') || f.id.slice(7, 19)} (stand-in or built from one) is still there: ${docker(['rmi', f.tags[0] ?? f.id]).stderr.trim()}`)
  return problems
}

export interface Leftovers { containers: string[]; networks: string[]; volumes: string[]; images: string[] }

export function leftoversOf(s: Scope, withFamily: boolean): Leftovers {
  return {
    containers: scopeContainers(s).map((c) => c.name),
    networks: scopeNetworks(s),
    volumes: scopeVolumes(s),
    images: [...presentImages(s.images), ...(withFamily ? standinFamily().map((f) => f.tags[0] ?? f.id.slice(7, 19)) : [])],
  }
}

export const isEmpty = (l: Leftovers) => !l.containers.length && !l.networks.length && !l.volumes.length && !l.images.length

/** Runs whose owner is gone, from their records and from object names without a record. */
export function staleRuns(): string[] {
  const records = readRecords()
  const ids = new Set(records.map((r) => r.id))
  const names = [
    ...lines(docker(['ps', '-a', '--filter', `name=^/${PREFIX}-`, '--format', '{{.Names}}']).stdout),
    ...lines(docker(['network', 'ls', '--filter', `name=^${PREFIX}-`, '--format', '{{.Name}}']).stdout),
    ...lines(docker(['volume', 'ls', '--filter', `name=^${PREFIX}-`, '--format', '{{.Name}}']).stdout),
  ]
  for (const n of names) { const r = runOfName(n); if (r) ids.add(r.id) }
  return [...ids].filter((id) => !runIsLive(id, records))
}
