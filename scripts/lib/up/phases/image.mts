// image: build the demo app image, tag it with the hash of what goes into it, push it to the local registry.
// Skipped when the registry already holds that tag (asked read-only: docker manifest inspect), so a converged
// re-run builds nothing. Runs while the cluster is being created (needs only the registry).

import { DEMO_IMAGE, imageContentHash } from '../../image/hash.mts'
import { buildArgs, imageRefs } from '../../image/plan.mts'
import { stageContext } from '../../image/stage.mts'
import { dockerBuild, dockerPush, registryHasImage } from '../../tools/docker.mts'
import { portsOf } from '../context.mts'
import type { Phase, UpContext } from '../types.mts'
import { did } from '../wording.mts'

export async function buildAndPushImage(ctx: UpContext, update: (s: string) => void = () => {}): Promise<{ note: string; built: boolean }> {
  const { hash, tag, files } = imageContentHash({ context: ctx.root, ...DEMO_IMAGE })
  const refs = imageRefs(ctx.config.registryName, portsOf(ctx).registry, tag)
  ctx.facts.image = { ref: refs.cluster, tag, built: false }
  update(`looking for ${refs.push}`)
  if (await registryHasImage(ctx.runner, refs.push)) {
    remember(ctx, tag, hash)
    return { note: `demo:${tag} is already in the registry (${files.length} source files unchanged)`, built: false }
  }
  update(`building ${refs.push} from ${files.length} files`)
  // exactly the hashed files reach the builder, whichever builder it is (see stage.mts); nothing to stage for a dry run
  const staged = ctx.dryRun ? undefined : stageContext(ctx.root, DEMO_IMAGE.dockerfile, files)
  try {
    await dockerBuild(ctx.runner, buildArgs(DEMO_IMAGE.dockerfile, refs.push, hash), staged?.dir ?? ctx.root)
  } finally {
    staged?.remove()
  }
  update(`pushing ${refs.push}`)
  await dockerPush(ctx.runner, refs.push)
  ctx.facts.image.built = true
  ctx.facts.changed.push(`image demo:${tag}`)
  remember(ctx, tag, hash)
  return { note: did(ctx, `built and pushed demo:${tag}`, `would build and push demo:${tag}`), built: true }
}

function remember(ctx: UpContext, tag: string, hash: string): void {
  const next = { repository: `${ctx.config.registryName}:5000/demo`, tag, sourceHash: hash }
  if (JSON.stringify(ctx.state.image) !== JSON.stringify(next)) {
    ctx.state.image = next
    ctx.saveState()
  }
}

export const imagePhase: Phase = {
  id: 'image',
  title: 'demo image',
  needs: ['registry'],
  skipWhen: (ctx) => (ctx.config.provider === 'existing' ? 'no local registry with PLATFORM_PROVIDER=existing: the overlays keep their pinned image tags' : false),
  async run(ctx, step) {
    const r = await buildAndPushImage(ctx, (s) => step?.update(s))
    return { note: r.note }
  },
}
