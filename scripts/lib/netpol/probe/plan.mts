// Expected cells -> what to probe from each source pod, and how. Pure.

import { cellKey, KUBE_DNS, type Expectation } from '../targets.mts'
import { podId, type PodInfo } from '../model.mts'
import type { SourcePlan } from './rounds.mts'

export interface ProbePlan {
  plans: SourcePlan[]
  /** cells that cannot be probed, with the reason */
  unprobed: Map<string, string>
}

const DNS_PORT = 53

export function planProbes(exp: Expectation): ProbePlan {
  const { engine } = exp
  const dnsServer = engine.pods.find((p) => !p.virtual && p.namespace === KUBE_DNS.namespace && p.labels[KUBE_DNS.label] === KUBE_DNS.value && p.ips.length > 0)
  const bySource = new Map<string, SourcePlan>()
  for (const i of exp.universe.sources) {
    const id = podId(engine.pods[i] as PodInfo)
    bySource.set(id, { source: id, probes: [] })
  }
  const unprobed = new Map<string, string>()
  for (const c of exp.cells) {
    const key = cellKey(c)
    const plan = bySource.get(c.from)
    if (!plan) continue
    if (c.toKind === 'dns') {
      if (!dnsServer) unprobed.set(key, `no running kube-dns pod (${KUBE_DNS.namespace}, ${KUBE_DNS.label}=${KUBE_DNS.value}) with an IP`)
      else plan.probes.push({ key, expected: c.allowed, spec: { method: 'dns', protocol: 'UDP', host: dnsServer.ips[0] as string, port: DNS_PORT } })
      continue
    }
    if (c.toKind === 'external') {
      const ip = exp.universe.destinations.find((d) => d.id === c.to)?.ip
      plan.probes.push({ key, expected: c.allowed, spec: { method: 'connect', protocol: c.protocol, host: ip ?? c.to, port: c.port } })
      continue
    }
    const idx = engine.indexOf(c.to)
    const dst = idx === undefined ? undefined : engine.pods[idx]
    const ip = dst?.ips[0]
    if (!ip) {
      unprobed.set(key, 'destination pod has no IP (not running yet?)')
      continue
    }
    // DNS servers drop agnhost's UDP payload; a real query gets an answer whenever traffic is allowed
    const method = c.port === DNS_PORT && c.protocol !== 'SCTP' ? 'dns' : 'connect'
    plan.probes.push({ key, expected: c.allowed, spec: { method, protocol: c.protocol, host: ip, port: c.port } })
  }
  return { plans: [...bySource.values()], unprobed }
}
