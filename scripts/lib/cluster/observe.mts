// What the cluster-layer phases (ports, registry, cluster, wiring) observe about Docker and kind, looked up once
// per run and shared: the ports phase needs the same facts as the registry and cluster phases after it.

import type { PortPlan } from './port-plan.mts'
import { inspectContainer, inspectContainers, type ContainerInfo } from '../tools/docker.mts'
import { kindClusters, kindNodes } from '../tools/kind.mts'
import type { UpContext } from '../up/types.mts'

export interface ClusterLayerObservation {
  /** the container named REGISTRY_NAME, ours or not */
  registry?: ContainerInfo
  /** a kind cluster named exactly CLUSTER_NAME exists */
  clusterExists: boolean
  /** its node container names (kind get nodes) */
  nodeNames: string[]
  /** its node containers as docker inspect sees them */
  nodes: ContainerInfo[]
}

const observations = new WeakMap<object, Promise<ClusterLayerObservation>>()
const plans = new WeakMap<object, PortPlan>()

async function look(ctx: UpContext): Promise<ClusterLayerObservation> {
  const name = ctx.config.clusterName
  const [registry, clusters] = await Promise.all([
    inspectContainer(ctx.runner, ctx.config.registryName, 'registry'),
    kindClusters(ctx.runner, 'cluster'),
  ])
  const clusterExists = clusters.includes(name)
  const nodeNames = clusterExists ? await kindNodes(ctx.runner, name, 'cluster') : []
  const nodes = await inspectContainers(ctx.runner, nodeNames, 'cluster')
  return { registry, clusterExists, nodeNames, nodes }
}

/** Observe once per run (read-only calls only). */
export function observeClusterLayer(ctx: UpContext): Promise<ClusterLayerObservation> {
  let o = observations.get(ctx)
  if (!o) {
    o = look(ctx)
    observations.set(ctx, o)
  }
  return o
}

/** The host port an existing cluster maps to a container port (on any of its nodes). */
export function mappedHostPort(nodes: ContainerInfo[], containerPort: number): number | undefined {
  for (const n of nodes) {
    const b = n.ports.find((p) => p.containerPort === containerPort && p.protocol === 'tcp')
    if (b) return b.hostPort
  }
  return undefined
}

export function rememberPortPlan(ctx: UpContext, plan: PortPlan): void {
  plans.set(ctx, plan)
}

export function portPlanOf(ctx: UpContext): PortPlan | undefined {
  return plans.get(ctx)
}

/**
 * The host ports for this run: what the ports phase decided, or (when it was left out with --only/--skip)
 * the remembered ones from local state, else the configured ones, without probing.
 */
export function portsOf(ctx: UpContext): { registry: number; http: number; https: number } {
  if (ctx.facts.ports) return ctx.facts.ports
  const c = ctx.config
  const s = ctx.state.ports
  const req = s?.requested
  const pick = (key: 'registry' | 'http' | 'https', configured: number) => (s?.[key] !== undefined && req?.[key] === configured ? s[key]! : configured)
  ctx.facts.ports = { registry: pick('registry', c.registryPort), http: pick('http', c.ingressHttpPort), https: pick('https', c.ingressHttpsPort) }
  return ctx.facts.ports
}
