// ports: decide every host port the platform binds before anything is created (see port-plan.mts for the
// rules), say in one line when one differs from its configured value, and remember the choice.

import { planPorts } from '../../cluster/port-plan.mts'
import { probePort } from '../../shell/ports.mts'
import { GATEWAY_HTTP_CONTAINER_PORT, GATEWAY_HTTPS_CONTAINER_PORT } from '../../cluster/kind-config.mts'
import { REGISTRY_CONTAINER_PORT, REGISTRY_LABEL_KEY, REGISTRY_LABEL_VALUE } from '../../cluster/registry-wiring.mts'
import { mappedHostPort, observeClusterLayer, rememberPortPlan } from '../../cluster/observe.mts'
import { registryClash } from './registry.mts'
import type { Phase } from '../types.mts'

export const portsPhase: Phase = {
  id: 'ports',
  title: 'host ports',
  needs: ['preflight'],
  skipWhen: (ctx) => (ctx.config.provider === 'existing' ? 'PLATFORM_PROVIDER=existing binds no host ports' : false),
  async run(ctx) {
    const c = ctx.config
    const obs = await observeClusterLayer(ctx)
    const reg = obs.registry
    // A foreign container with the registry's name would stop the registry phase; say so before anything is created.
    const clash = registryClash(ctx, reg)
    if (clash) throw clash
    const regBinding = reg?.ports.find((p) => p.containerPort === REGISTRY_CONTAINER_PORT)
    // A running container of ours holds its port: that is not "busy". A stopped one holds nothing.
    const ourRegistryPort = reg && reg.running && reg.labels[REGISTRY_LABEL_KEY] === REGISTRY_LABEL_VALUE ? regBinding?.hostPort : undefined
    const http = obs.clusterExists ? mappedHostPort(obs.nodes, GATEWAY_HTTP_CONTAINER_PORT) : undefined
    const https = obs.clusterExists ? mappedHostPort(obs.nodes, GATEWAY_HTTPS_CONTAINER_PORT) : undefined
    const running = obs.nodes.some((n) => n.running)
    const configured = { registry: c.registryPort, http: c.ingressHttpPort, https: c.ingressHttpsPort }
    const remembered = ctx.state.ports
    const plan = await planPorts({
      configured,
      remembered: remembered ? { registry: remembered.registry, http: remembered.http, https: remembered.https } : undefined,
      rememberedFor: remembered?.requested,
      ours: { registry: ourRegistryPort, http: running ? http : undefined, https: running ? https : undefined },
      clusterMappings: { http, https },
      policy: c.portPolicy,
      span: c.portSearchSpan,
      platform: process.platform,
      probe: (p) => probePort(p),
    })
    for (const d of plan.decisions) {
      if (!d.message) continue
      if (d.source === 'remapped') ctx.ui.warn(d.message)
      else ctx.ui.info(d.message)
    }
    rememberPortPlan(ctx, plan)
    ctx.facts.ports = plan.ports
    // Record, per key, the configured value the port was chosen for. A kept cluster's mapping that differs from
    // the configured port was not chosen for it: keep the earlier record, so the next plan (or a re-create)
    // still sees the configured port as wanted.
    const requested: Partial<typeof configured> = {}
    for (const d of plan.decisions) {
      const earlier = remembered?.requested?.[d.key]
      const chosenForIt = d.source !== 'cluster' || d.port === d.wanted
      const value = chosenForIt ? d.configured : earlier
      if (value !== undefined) requested[d.key] = value
    }
    const next = { ...plan.ports, requested }
    if (JSON.stringify(ctx.state.ports) !== JSON.stringify(next)) {
      ctx.state.ports = next
      ctx.saveState()
    }
    const p = plan.ports
    return { note: `registry 127.0.0.1:${p.registry}, gateway http 127.0.0.1:${p.http}, https 127.0.0.1:${p.https}` }
  },
}
