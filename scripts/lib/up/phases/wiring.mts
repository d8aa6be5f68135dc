// wiring: make the registry reachable from the cluster. The registry joins the kind network (so nodes and pods
// reach it as <name>:5000), every node's containerd gets hosts.toml for localhost:<port> and <name>:5000, and
// the KEP-1755 ConfigMap tells tools where the registry is. Each part is read first and written only when it
// differs, so a converged re-run changes nothing.

import { EXIT, StepError } from '../../shell/errors.mts'
import { hostsToml, hostsTomlPath, registryHosts, registryHostingManifest, registryHostingMatches, REGISTRY_HOSTING } from '../../cluster/registry-wiring.mts'
import { connectNetwork, inspectContainer, readContainerFiles, writeContainerFiles } from '../../tools/docker.mts'
import { kindNodes } from '../../tools/kind.mts'
import { getObject, kubectlApplyServerSide } from '../../tools/kubectl.mts'
import { portsOf } from '../../cluster/observe.mts'
import type { Phase } from '../types.mts'
import { did } from '../wording.mts'

/** kind's network, or the one kind was told to use instead */
export const kindNetwork = (env: NodeJS.ProcessEnv = process.env) => env.KIND_EXPERIMENTAL_DOCKER_NETWORK || 'kind'

export const wiringPhase: Phase = {
  id: 'wiring',
  title: 'registry wiring',
  needs: ['registry', 'cluster'],
  skipWhen: (ctx) => (ctx.config.provider === 'existing' ? 'PLATFORM_PROVIDER=existing uses no local registry' : false),
  async run(ctx) {
    const c = ctx.config
    const name = c.registryName
    const port = portsOf(ctx).registry
    const context = ctx.facts.context ?? `kind-${c.clusterName}`
    const done: string[] = []

    const reg = await inspectContainer(ctx.runner, name, 'wiring')
    if (!reg && !ctx.dryRun) {
      throw new StepError({ step: 'wiring', message: `registry container ${name} does not exist`, hint: 'run up with the registry phase (do not skip it)', exitCode: EXIT.precondition })
    }
    const network = kindNetwork()
    if (!reg?.networks.includes(network)) {
      await connectNetwork(ctx.runner, network, name, 'wiring')
      done.push(did(ctx, `connected to the ${network} network`, `would connect it to the ${network} network`))
    }

    // --dry-run on a stopped cluster: its nodes cannot be read until the heal starts them (their files survive a stop)
    const stopped = new Set(ctx.facts.wouldStart ?? [])
    const all = (ctx.facts.nodes ?? (await kindNodes(ctx.runner, c.clusterName, 'wiring'))).filter((n) => !n.endsWith('external-load-balancer'))
    const nodes = all.filter((n) => !stopped.has(n))
    if (nodes.length < all.length) done.push(`would check hosts.toml on ${all.length - nodes.length} stopped node(s) once started`)
    const content = hostsToml(name)
    const files = registryHosts(name, port).map(hostsTomlPath)
    // One read per node; when anything differs, one write of both files (same content) per node.
    const writes = await Promise.all(nodes.map(async (node): Promise<number> => {
      if ((await readContainerFiles(ctx.runner, node, files, 'wiring')) === content.repeat(files.length)) return 0
      await writeContainerFiles(ctx.runner, node, files, content, 'wiring')
      return 1
    }))
    const written = writes.reduce((a, b) => a + b, 0)
    if (written) done.push(did(ctx, `wrote hosts.toml on ${written} node(s)`, `would write hosts.toml on ${written} node(s)`))

    const apiDown = [...stopped].some((n) => n.endsWith('-control-plane'))
    const live = apiDown ? undefined : await getObject(ctx.runner, context, 'configmap', REGISTRY_HOSTING.name, REGISTRY_HOSTING.namespace, 'wiring')
    if (apiDown) done.push(`would check ${REGISTRY_HOSTING.namespace}/${REGISTRY_HOSTING.name} once the API server answers`)
    else if (!registryHostingMatches(live, name, port)) {
      await kubectlApplyServerSide(ctx.runner, context, registryHostingManifest(name, port), { fieldManager: 'platform-up', forceConflicts: true }, 'wiring')
      done.push(`${did(ctx, live ? 'updated' : 'published', live ? 'would update' : 'would publish')} ${REGISTRY_HOSTING.namespace}/${REGISTRY_HOSTING.name}`)
    }

    if (done.some((d) => !d.startsWith('would check'))) ctx.facts.changed.push('registry wiring')
    // on a cluster and registry that were already there, wiring that had to be re-done was lost (a restart, a
    // network re-created, a node's files gone): say it was healed
    const fresh = ctx.facts.clusterCreated || ctx.facts.changed.some((x) => x === 'registry created' || x === 'registry re-created')
    if (!fresh) for (const d of done.filter((x) => !x.startsWith('would check'))) (ctx.facts.healed ??= []).push(`registry wiring: ${d.replace(/^(would )?connected/, '$1re-connected').replace(/^(would )?wrote/, '$1re-wrote')}`)
    ctx.facts.summary.push(`registry: docker push localhost:${port}/<image>:<tag>; pods pull it as localhost:${port}/<image> or ${name}:5000/<image>`)
    return { note: done.length ? done.join(', ') : `up to date on ${nodes.length} node(s)` }
  },
}
