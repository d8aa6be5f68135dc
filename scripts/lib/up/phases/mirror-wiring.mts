// mirror-wiring: every node pulls through the caches. Each cache joins the kind network (nodes reach it as
// <name>:5000) and every node gets /etc/containerd/certs.d/<upstream>/hosts.toml: the cache first, the upstream
// as the fallback. Read first, written only when it differs (a converged re-run changes nothing); containerd
// reads these files on every pull, no restart needed. Upstreams without a cache (REGISTRY_MIRRORS=off or a
// shorter list) lose the hosts.toml up wrote for them, and pull from the upstream again.

import { EXIT, StepError } from '../../shell/errors.mts'
import { connectNetwork, execRead, readContainerFiles, removeContainerFiles, writeContainerFiles } from '../../tools/docker.mts'
import { kindNodes } from '../../tools/kind.mts'
import { inspectMirrors } from '../../mirrors/look.mts'
import { isOurHostsToml, mirrorHostsToml, mirrorHostsTomlPath, type MirrorWanted } from '../../mirrors/plan.mts'
import { DEFAULT_UPSTREAMS, type Upstream } from '../../mirrors/upstreams.mts'
import type { Phase, UpContext } from '../types.mts'
import { did } from '../wording.mts'
import { mirrorsWanted } from './mirrors.mts'
import { kindNetwork } from './wiring.mts'

const STEP = 'mirror-wiring'

export const mirrorWiringPhase: Phase = {
  id: 'mirror-wiring',
  title: 'registry mirror wiring',
  needs: ['mirrors', 'cluster'],
  skipWhen: (ctx) => (ctx.config.provider === 'existing' ? 'PLATFORM_PROVIDER=existing: the cluster pulls as it is configured' : false),
  async run(ctx) {
    const wanted = mirrorsWanted(ctx)
    const done: string[] = []
    const live = await inspectMirrors(ctx.runner, wanted, STEP)
    const network = kindNetwork()
    let joined = 0
    for (const w of wanted) {
      const c = live.get(w.name)
      if (!c && !ctx.dryRun) {
        throw new StepError({ step: STEP, message: `cache container ${w.name} does not exist`, hint: 'run up with the mirrors phase (do not skip it), or set REGISTRY_MIRRORS=off', exitCode: EXIT.precondition })
      }
      if (!c?.networks.includes(network)) {
        await connectNetwork(ctx.runner, network, w.name, STEP)
        joined++
      }
    }
    if (joined) done.push(did(ctx, `connected ${joined} cache(s) to the ${network} network`, `would connect ${joined} cache(s) to the ${network} network`))

    const nodes = (ctx.facts.nodes ?? (await kindNodes(ctx.runner, ctx.config.clusterName, STEP))).filter((n) => !n.endsWith('external-load-balancer'))
    const unwanted = DEFAULT_UPSTREAMS.filter((u) => !wanted.some((w) => w.upstream.host === u.host))
    const counts = await Promise.all(nodes.map(async (node) => {
      if (await upToDate(ctx, node, wanted, unwanted)) return { wrote: 0, removed: 0 }
      let wrote = 0
      let removed = 0
      for (const w of wanted) {
        const file = mirrorHostsTomlPath(w.upstream.host)
        const content = mirrorHostsToml(w)
        if ((await readContainerFiles(ctx.runner, node, [file], STEP)) === content) continue
        await writeContainerFiles(ctx.runner, node, [file], content, STEP)
        wrote++
      }
      // only files up wrote: a hosts.toml someone else put there for that upstream stays
      const stale: string[] = []
      for (const u of unwanted) {
        const file = mirrorHostsTomlPath(u.host)
        const there = await readContainerFiles(ctx.runner, node, [file], STEP)
        if (there !== undefined && isOurHostsToml(there)) stale.push(file)
      }
      await removeContainerFiles(ctx.runner, node, stale, STEP)
      removed += stale.length
      return { wrote, removed }
    }))
    const wrote = counts.reduce((a, c) => a + c.wrote, 0)
    const removed = counts.reduce((a, c) => a + c.removed, 0)
    if (wrote) done.push(did(ctx, `wrote ${wrote} hosts.toml on ${counts.filter((c) => c.wrote).length} node(s)`, `would write ${wrote} hosts.toml on ${counts.filter((c) => c.wrote).length} node(s)`))
    if (removed) done.push(did(ctx, `removed ${removed} hosts.toml of upstreams without a cache`, `would remove ${removed} hosts.toml of upstreams without a cache`))
    if (done.length) ctx.facts.changed.push('registry mirror wiring')
    if (!wanted.length) return { note: done.length ? done.join(', ') : 'REGISTRY_MIRRORS=off: nodes pull from the upstreams' }
    return { note: done.length ? done.join(', ') : `up to date on ${nodes.length} node(s)` }
  },
}

/**
 * A converged node in at most two reads instead of one per upstream: `cat` of every wanted file prints exactly
 * what up writes for them, in order, and `cat` of every unwanted one prints nothing (none is there). Anything
 * else is looked at file by file. Only moving text from one of our files into the next on purpose could pass
 * the first check with a file that differs.
 */
async function upToDate(ctx: UpContext, node: string, wanted: MirrorWanted[], unwanted: readonly Upstream[]): Promise<boolean> {
  if (wanted.length) {
    const files = wanted.map((w) => mirrorHostsTomlPath(w.upstream.host))
    if ((await readContainerFiles(ctx.runner, node, files, STEP)) !== wanted.map(mirrorHostsToml).join('')) return false
  }
  if (unwanted.length) {
    const left = await execRead(ctx.runner, node, ['cat', ...unwanted.map((u) => mirrorHostsTomlPath(u.host))], STEP)
    if (left.stdout !== '') return false
  }
  return true
}
