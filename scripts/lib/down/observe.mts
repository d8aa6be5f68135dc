// What exists right now: read-only calls only (they run under --dry-run too). Used before planning and again
// after executing, to find leftovers.

import type { Config } from '../shell/config.mts'
import { EXIT, StepError } from '../shell/errors.mts'
import type { Runner } from '../shell/run.mts'
import type { PlatformState } from '../shell/state.mts'
import { dockerServer, existingVolumes, inspectContainer, inspectContainers, inspectNetwork, listContainers } from '../tools/docker.mts'
import { DATA_DIR, MIRROR_ROLE, mirrorName, mirrorVolume, UPSTREAM_LABEL } from '../mirrors/plan.mts'
import { DEFAULT_UPSTREAMS } from '../mirrors/upstreams.mts'
import { kindClusters } from '../tools/kind.mts'
import { helmReleaseNames } from '../tools/helm.mts'
import { currentContext, kubeContexts, namespaceNames } from '../tools/kubectl.mts'
import { kindNetwork } from '../up/phases/wiring.mts'
import { observeLocal } from './local.mts'
import { KIND_CLUSTER_LABEL, REGISTRY_LABEL, REGISTRY_ROLE, type Observed, type ObservedExisting, type ObservedKind } from './types.mts'

export interface ObserveInput {
  runner: Runner
  config: Config
  state: PlatformState
  stateDir: string
  root: string
  env?: NodeJS.ProcessEnv
  /** the look after deleting: Docker was reachable a moment ago and the current context is only shown */
  again?: boolean
}

const ANONYMOUS = /^[0-9a-f]{64}$/

/** kind clusters with a node container (running or stopped) on `network`. Read-only. */
export async function networkClusters(r: Runner, network: string): Promise<string[]> {
  const nodes = await listContainers(r, { label: KIND_CLUSTER_LABEL, network }, 'down')
  return [...new Set(nodes.map((n) => n.labels[KIND_CLUSTER_LABEL] ?? '').filter(Boolean))].sort()
}

async function observeKind(i: ObserveInput): Promise<ObservedKind> {
  const r = i.runner
  const docker = i.again ? { reachable: true } : await dockerServer(r, 'down')
  if (!docker.reachable) {
    throw new StepError({
      step: 'down',
      message: `cannot look for the cluster and registry: ${docker.error ?? 'the Docker daemon is not reachable'}`,
      hint: 'start Docker and re-run; nothing was deleted',
      exitCode: EXIT.precondition,
    })
  }
  const name = i.config.clusterName
  const netName = kindNetwork(i.env)
  const [clusters, nodes, registry, network, onNetwork, mirrors] = await Promise.all([
    kindClusters(r, 'down'),
    listContainers(r, { label: `${KIND_CLUSTER_LABEL}=${name}` }, 'down'),
    inspectContainer(r, i.config.registryName, 'down'),
    inspectNetwork(r, netName, 'down'),
    networkClusters(r, netName),
    observeMirrors(r, i.config.registryName),
  ])
  const rec = i.state.network
  const ours = registry?.labels[REGISTRY_LABEL] === REGISTRY_ROLE
  // the registry listens on 5000 inside its container
  const port = registry?.ports.find((p) => p.containerPort === 5000)?.hostPort
  return {
    clusterName: name,
    clusters,
    nodes: nodes.map((n) => n.name).sort(),
    registry: {
      name: i.config.registryName,
      status: !registry ? 'absent' : ours ? 'ours' : 'foreign',
      ...(registry ? { running: registry.running, image: registry.image, networks: registry.networks } : { networks: [] }),
      ...(port ? { hostPort: port } : {}),
      volumes: (registry?.mounts ?? []).filter((m) => m.type === 'volume' && m.name).map((m) => ({ name: m.name!, anonymous: ANONYMOUS.test(m.name!) })),
    },
    ...mirrors,
    network: { name: netName, exists: network.exists, createdByUs: Boolean(rec?.createdByUs && rec.name === netName), members: network.members, clusters: network.exists ? onNetwork : [] },
  }
}

/** The caches of this platform: labelled as one AND named as one (another platform's caches are not ours). */
async function observeMirrors(r: Runner, registryName: string): Promise<Pick<ObservedKind, 'mirrors' | 'mirrorVolumes'>> {
  const prefix = `${registryName}-mirror-`
  const labelled = (await listContainers(r, { label: `${REGISTRY_LABEL}=${MIRROR_ROLE}` }, 'down')).filter((c) => c.name.startsWith(prefix))
  const info = await inspectContainers(r, labelled.map((c) => c.name), 'down')
  const mirrors = info.map((c) => ({
    name: c.name,
    upstream: c.labels[UPSTREAM_LABEL] ?? '?',
    running: c.running,
    networks: c.networks,
    ...((v) => (v ? { volume: v } : {}))(c.mounts.find((m) => m.type === 'volume' && m.destination === DATA_DIR && m.name === mirrorVolume(c.name))?.name),
  })).sort((a, b) => a.name.localeCompare(b.name))
  // volumes named for a cache of ours whose container is gone (removed by hand without its volume)
  const named = DEFAULT_UPSTREAMS.map((u) => mirrorVolume(mirrorName(registryName, u.host))).filter((v) => !mirrors.some((m) => m.volume === v))
  return { mirrors, mirrorVolumes: await existingVolumes(r, named, 'down') }
}

async function observeExisting(i: ObserveInput, context: string): Promise<ObservedExisting> {
  const installed = i.state.installed
  const recorded = { helmReleases: installed?.helmReleases ?? [], namespaces: installed?.namespaces ?? [], flux: Boolean(installed?.flux) }
  if (!recorded.helmReleases.length && !recorded.namespaces.length && !recorded.flux) {
    // nothing of ours in that cluster: do not even talk to it
    return { flux: { recorded: false, present: false }, helmReleases: [], namespaces: [] }
  }
  const namespaces = new Set(await namespaceNames(i.runner, context, 'down'))
  const releases = recorded.helmReleases.length ? await helmReleaseNames(i.runner, context, 'down') : []
  return {
    flux: { recorded: recorded.flux, present: recorded.flux && namespaces.has('flux-system') },
    helmReleases: recorded.helmReleases.map((h) => ({ ...h, present: releases.some((x) => x.name === h.name && x.namespace === h.namespace) })),
    namespaces: recorded.namespaces.map((n) => ({ name: n, present: namespaces.has(n) })),
  }
}

export async function observe(i: ObserveInput): Promise<Observed> {
  const provider = i.config.provider
  const context = i.config.kubeContext
  const [contexts, current, local] = await Promise.all([
    kubeContexts(i.runner, 'down', context),
    i.again ? Promise.resolve('') : currentContext(i.runner, context, 'down'),
    observeLocal(i.stateDir, i.root, i.state, i.runner),
  ])
  return {
    provider,
    context,
    contexts,
    ...(current ? { currentContext: current } : {}),
    ...(provider === 'kind' ? { kind: await observeKind(i) } : { existing: await observeExisting(i, context) }),
    local,
  }
}
