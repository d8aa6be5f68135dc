// What the caches hold against what the platform needs: the note of the mirrors phase, and the --offline check
// that runs before any phase (so a gap stops up before anything is created).

import type { Config } from '../shell/config.mts'
import { EXIT, StepError } from '../shell/errors.mts'
import type { Runner } from '../shell/run.mts'
import { checkImages, describeGaps, type CacheContent, type ImageCheck } from './images.mts'
import { existingVolumes, type ContainerInfo } from '../tools/docker.mts'
import { cacheContent, inspectMirrors, volumeContent } from './look.mts'
import { imagesNeeded } from './needed.mts'
import type { MirrorWanted } from './plan.mts'

export interface Coverage {
  checks: ImageCheck[]
  cached: number
  /** one line per needed image no cache holds */
  gaps: string[]
  /** what could not be checked, and why */
  unchecked: string[]
}

/**
 * `assumeEmpty`: caches that do not run yet (under --dry-run a cache about to be made holds nothing). `live`: the
 * caches as the caller just inspected them, when nothing changed them since (else they are inspected here).
 */
export async function coverage(r: Runner, config: Config, root: string, wanted: MirrorWanted[], step: string, o: { assumeEmpty?: string[]; withFlux?: boolean; live?: Map<string, ContainerInfo> } = {}): Promise<Coverage> {
  const assumeEmpty = o.assumeEmpty ?? []
  const live = o.live ?? (await inspectMirrors(r, wanted, step))
  const contents = new Map<string, CacheContent>()
  const unchecked: string[] = []
  await Promise.all(wanted.map(async (w) => {
    const c = live.get(w.name)
    if (!c || !c.running) {
      if (assumeEmpty.includes(w.name) || !c) { contents.set(w.upstream.host, { repos: new Map() }); return }
      unchecked.push(`${w.name} (stopped: docker start ${w.name})`)
      return
    }
    const content = await cacheContent(r, w.name, step)
    if ('repos' in content) contents.set(w.upstream.host, content)
    // a proxy that cannot reach its upstream when it starts exits, and the engine restarts it again and again
    else unchecked.push(`${w.name} (${content.error}; a cache in proxy mode exits when it cannot reach ${w.upstream.remote} as it starts: without a network, up --offline serves what it holds)`)
  }))
  const needed = await imagesNeeded(r, config, root, step, o.withFlux ?? true)
  const checks = checkImages(needed.images, contents)
  return { checks, cached: checks.filter((c) => c.status === 'cached').length, gaps: describeGaps(checks), unchecked: [...needed.unknown, ...unchecked] }
}

/** up --offline: every needed image must be in a cache, else stop now, naming what is missing. */
export async function assertOfflineReady(r: Runner, config: Config, root: string, wanted: MirrorWanted[]): Promise<Coverage> {
  const step = 'offline'
  if (config.provider === 'existing') {
    throw new StepError({ step, message: '--offline works with the kind provider only: an existing cluster pulls as it is configured', hint: 'run without --offline', exitCode: EXIT.usage })
  }
  if (!wanted.length) {
    throw new StepError({ step, message: '--offline needs the pull-through caches, but REGISTRY_MIRRORS=off', hint: 'set REGISTRY_MIRRORS=on (the default) and run up once online to fill the caches', exitCode: EXIT.usage })
  }
  // read through the volumes: a cache container may be down (its proxy exits at start without the upstream)
  const volumes = new Set(await existingVolumes(r, wanted.map((w) => w.volume), step))
  const absent = wanted.filter((w) => !volumes.has(w.volume))
  const contents = new Map<string, CacheContent>()
  const unchecked: string[] = []
  await Promise.all(wanted.filter((w) => volumes.has(w.volume)).map(async (w) => {
    const c = await volumeContent(r, w.volume, w.image, step)
    if (c) contents.set(w.upstream.host, c)
    else unchecked.push(`the ${w.upstream.host} cache (volume ${w.volume} could not be read)`)
  }))
  for (const w of absent) contents.set(w.upstream.host, { repos: new Map() })
  const needed = await imagesNeeded(r, config, root, step)
  const checks = checkImages(needed.images, contents)
  const cov: Coverage = { checks, cached: checks.filter((c) => c.status === 'cached').length, gaps: describeGaps(checks), unchecked: [...needed.unknown, ...unchecked] }
  if (absent.length || cov.gaps.length || cov.unchecked.length) {
    const lines = [
      ...absent.map((w) => `no cache for ${w.upstream.host} yet (volume ${w.volume})`),
      ...cov.gaps,
      ...cov.unchecked.map((u) => `could not check ${u}`),
    ]
    throw new StepError({
      step,
      message: `the caches do not hold everything the platform pulls (${cov.cached} of ${cov.checks.length} images cached):\n  ${lines.join('\n  ')}`,
      hint: 'run up once online to fill the caches (or pre-warm them: README "Registry mirrors and an offline second run"), then re-run with --offline; nothing was created or changed',
      exitCode: EXIT.precondition,
    })
  }
  return cov
}
