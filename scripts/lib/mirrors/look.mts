// Looking at the caches through the docker adapter (read-only): their containers as decideMirror wants them,
// what each holds (its storage's link files), and its size and hit counters for status.

import type { Runner } from '../shell/run.mts'
import { execRead, inspectContainers, runThrowaway, type ContainerInfo } from '../tools/docker.mts'
import { parseCacheListing, type CacheContent } from './images.mts'
import { DATA_DIR, DEBUG_ADDR, MIRROR_PORT, type MirrorObserved, type MirrorWanted } from './plan.mts'
import { parseCacheStats, type CacheStats } from './stats.mts'

export function mirrorObserved(c: ContainerInfo | undefined): MirrorObserved | undefined {
  if (!c) return undefined
  const data = c.mounts.find((m) => m.destination === DATA_DIR && m.type === 'volume')
  return {
    image: c.image,
    running: c.running,
    labels: c.labels,
    env: c.env ?? [],
    hostIps: c.ports.filter((p) => p.containerPort === MIRROR_PORT).map((p) => p.hostIp),
    ...(data?.name ? { volume: data.name } : {}),
  }
}

/** The cache containers by name (absent ones left out). */
export async function inspectMirrors(r: Runner, wanted: { name: string }[], step: string): Promise<Map<string, ContainerInfo>> {
  const list = await inspectContainers(r, wanted.map((w) => w.name), step)
  return new Map(list.map((c) => [c.name, c]))
}

/**
 * What a running cache holds. An empty cache has no repositories directory yet (find then fails with "No such
 * file or directory"): that is an empty cache, not an error. Undefined when the cache could not be read.
 */
export async function cacheContent(r: Runner, name: string, step: string): Promise<CacheContent | { error: string }> {
  const dir = `${DATA_DIR}/docker/registry/v2/repositories`
  const res = await execRead(r, name, ['find', ...LINKS(dir)], step)
  if (res.ok) return parseCacheListing(res.stdout)
  if (/No such file or directory/.test(res.stderr)) return { repos: new Map() }
  return { error: res.stderr.trim().split('\n').at(-1) || (res.timedOut ? 'docker exec did not answer' : 'docker exec failed') }
}

const LINKS = (dir: string) => [dir, '-name', 'link', '-path', '*/_manifests/*']

/**
 * What a cache's volume holds, read by a throwaway container of the registry image with the volume mounted
 * read-only: works whatever state the cache container is in (a proxy without its upstream exits at start).
 */
export async function volumeContent(r: Runner, volume: string, image: string, step: string): Promise<CacheContent | undefined> {
  const dir = `${DATA_DIR}/docker/registry/v2/repositories`
  const res = await runThrowaway(r, ['-v', `${volume}:${DATA_DIR}:ro`, '--entrypoint', 'find', image, ...LINKS(dir)], step)
  if (res.ok) return parseCacheListing(res.stdout)
  if (/No such file or directory/.test(res.stderr)) return { repos: new Map() }
  return undefined
}

/** Size of the cache's storage (du) and its proxy counters (the registry's expvar on the debug address). */
export async function cacheStats(r: Runner, name: string, step: string): Promise<CacheStats> {
  const [du, vars] = await Promise.all([
    execRead(r, name, ['du', '-sk', DATA_DIR], step),
    execRead(r, name, ['wget', '-qO-', `http://${DEBUG_ADDR}/debug/vars`], step),
  ])
  return parseCacheStats(du.ok ? du.stdout : '', vars.ok ? vars.stdout : '')
}

export type { MirrorWanted }
