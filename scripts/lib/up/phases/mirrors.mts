// mirrors: one pull-through cache per upstream registry (REGISTRY_MIRRORS). Created when missing, started when
// stopped, re-created (and said so; the cached data stays on its named volume) when its image, upstream or
// credentials differ, reused otherwise. Then it says how much of what the platform pulls the caches hold (the
// --offline check, which stops up on a gap, runs before any phase: lib/mirrors/coverage.mts).

import { EXIT, StepError } from '../../shell/errors.mts'
import { removeContainer, runContainer, startContainer } from '../../tools/docker.mts'
import { coverage } from '../../mirrors/coverage.mts'
import { inspectMirrors, mirrorObserved } from '../../mirrors/look.mts'
import { decideMirror, mirrorRunArgs, mirrorRunEnv, wantedMirrors, type MirrorWanted } from '../../mirrors/plan.mts'
import type { Phase, UpContext } from '../types.mts'
import { did } from '../wording.mts'

const STEP = 'mirrors'

export function mirrorsWanted(ctx: UpContext): MirrorWanted[] {
  const c = ctx.config
  const hub = c.mirrorDockerhubUsername && c.mirrorDockerhubPassword ? { username: c.mirrorDockerhubUsername, password: c.mirrorDockerhubPassword } : undefined
  return wantedMirrors(c.registryName, c.registryImage, c.registryMirrors, { ...(hub ? { dockerHub: hub } : {}), offline: Boolean(ctx.flags.offline) })
}

const RUN_HINT = 're-run with --verbose for docker\'s full output; REGISTRY_MIRRORS=off runs up without caches'

async function ensure(ctx: UpContext, w: MirrorWanted, observed: ReturnType<typeof mirrorObserved>): Promise<string | undefined> {
  const d = decideMirror(observed, w)
  const env = mirrorRunEnv(w)
  switch (d.action) {
    case 'clash':
      throw new StepError({ step: STEP, message: d.reason, hint: `up never removes containers it did not create: remove or rename it (docker rm -f ${w.name}), set REGISTRY_NAME to another name, or leave ${w.upstream.host} out of REGISTRY_MIRRORS`, exitCode: EXIT.precondition })
    case 'create':
      await runContainer(ctx.runner, mirrorRunArgs(w), STEP, RUN_HINT, { env })
      return did(ctx, `created ${w.upstream.host}`, `would create ${w.name} (cache of ${w.upstream.host}, volume ${w.volume})`)
    case 'recreate':
      ctx.ui.warn(`re-creating cache ${w.name} (${d.reasons.join('; ')}); its cached images stay on volume ${w.volume}`)
      // without -v: the data is on the named volume, which the new container mounts again
      await removeContainer(ctx.runner, w.name, STEP)
      await runContainer(ctx.runner, mirrorRunArgs(w), STEP, RUN_HINT, { env })
      return did(ctx, `re-created ${w.upstream.host}`, `would re-create ${w.name}`)
    case 'start':
      await startContainer(ctx.runner, w.name, STEP)
      return did(ctx, `started ${w.upstream.host}`, `would start the stopped ${w.name}`)
    case 'reuse':
      return undefined
  }
}

export const mirrorsPhase: Phase = {
  id: 'mirrors',
  title: 'registry mirrors',
  needs: ['ports'],
  skipWhen: (ctx) => {
    if (ctx.config.provider === 'existing') return 'PLATFORM_PROVIDER=existing: the cluster pulls as it is configured'
    if (!ctx.config.registryMirrors.length) return 'REGISTRY_MIRRORS=off (caches that exist are kept: down --all deletes them)'
    return false
  },
  async run(ctx) {
    const wanted = mirrorsWanted(ctx)
    const existing = await inspectMirrors(ctx.runner, wanted, STEP)
    const done: string[] = []
    // one after another: each is one docker call, and a clash should stop before the next one is created
    for (const w of wanted) {
      const note = await ensure(ctx, w, mirrorObserved(existing.get(w.name)))
      if (note) done.push(note)
    }
    if (done.length) ctx.facts.changed.push('registry mirrors')

    // What the caches hold against what the platform needs (a cache made just now holds nothing).
    const made = wanted.filter((w) => !existing.get(w.name)?.running).map((w) => w.name)
    const cov = await coverage(ctx.runner, ctx.config, ctx.root, wanted, STEP, { assumeEmpty: ctx.dryRun ? made : [], withFlux: false, ...(done.length ? {} : { live: existing }) })
    const hosts = wanted.map((w) => w.upstream.host).join(', ')
    ctx.facts.summary.push(`registry mirrors: ${hosts} pulled through local caches (status shows size and hits; down --all deletes them)`)
    const held = `${cov.cached}/${cov.checks.length} add-on and probe images cached${cov.unchecked.length ? ` (not checked: ${cov.unchecked.join('; ')})` : ''}`
    return { note: `${done.length ? done.join(', ') : `reused ${wanted.length} cache(s)`}; ${held}` }
  },
}
