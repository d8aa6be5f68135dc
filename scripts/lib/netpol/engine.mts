// The expectation engine: is traffic from A to B on port/protocol allowed by the NetworkPolicies?
//
// Built once per Cluster, then every question is a few array lookups:
// - each policy's podSelector is matched once, giving per pod the ingress/egress rules that apply to it
//   (no applicable rule list = that direction is not isolated);
// - each rule's peers are matched once against every pod, giving a bitmap of allowed peer pods;
// - ipBlock peers are kept as parsed CIDRs for external addresses and also matched against pod IPs,
//   as the upstream e2e suite expects (CNIs differ here: Calico matches pod IPs, Cilium does not).
//
// Decision (research/netpol-testing.md §5.1): allowed = egressOK(src) AND ingressOK(dst), each direction
// allowed when no policy isolates it, else when ANY rule of ANY isolating policy admits the peer on that
// port. Named ports are resolved on the DESTINATION pod by name AND protocol. Replies are implicit.

import { selectorMatches, isMatchAll } from './labels.mts'
import { cidrContainsIp, parseCidr, parseIp, type Cidr } from './ip.mts'
import { podId, type Cluster, type PodInfo, type Policy, type PolicyPort, type PolicyRule, type Protocol } from './model.mts'

export type Endpoint = { kind: 'pod'; index: number } | { kind: 'external'; ip?: string }

interface CompiledIpBlock {
  cidr: Cidr
  except: Cidr[]
}

interface CompiledRule {
  policy: number
  /** no peers listed: everything, including external addresses */
  allPeers: boolean
  /** peers[i] = 1 when pod i is an allowed peer */
  peers: Uint8Array
  ipBlocks: CompiledIpBlock[]
  ports: readonly PolicyPort[]
}

export interface DirectionVerdict {
  allowed: boolean
  /** policies that select the pod for this direction (empty = not isolated) */
  isolatedBy: string[]
  /** policies with a rule that admits this traffic */
  allowedBy: string[]
}

export interface Verdict {
  allowed: boolean
  egress: DirectionVerdict
  ingress: DirectionVerdict
}

export interface Engine {
  readonly cluster: Cluster
  readonly pods: readonly PodInfo[]
  indexOf(id: string): number | undefined
  allowed(src: Endpoint, dst: Endpoint, port: number, protocol: Protocol): boolean
  explain(src: Endpoint, dst: Endpoint, port: number, protocol: Protocol): Verdict
}

const policyName = (p: Policy) => `${p.namespace}/${p.name}`

function ipBlockMatches(b: CompiledIpBlock, ipText: string | undefined): boolean {
  if (ipText === undefined) {
    // An external target given only by DNS name: its address is unknown but public, so it falls in a
    // block only when the block covers everything (0.0.0.0/0 or ::/0). Excepts are assumed not to cover it.
    return b.cidr.prefix === 0
  }
  const ip = parseIp(ipText)
  if (!ip || !cidrContainsIp(b.cidr, ip)) return false
  return !b.except.some((e) => cidrContainsIp(e, ip))
}

export function buildEngine(cluster: Cluster): Engine {
  const pods = cluster.pods
  const n = pods.length
  const index = new Map<string, number>()
  pods.forEach((p, i) => index.set(podId(p), i))

  const podsByNs = new Map<string, number[]>()
  pods.forEach((p, i) => {
    const list = podsByNs.get(p.namespace)
    if (list) list.push(i)
    else podsByNs.set(p.namespace, [i])
  })
  const nsLabels = (ns: string) => cluster.namespaces.get(ns)?.labels ?? {}

  function compileRule(rule: PolicyRule, policyIndex: number, policy: Policy): CompiledRule {
    const peers = new Uint8Array(n)
    const ipBlocks: CompiledIpBlock[] = []
    const allPeers = rule.peers.length === 0
    if (allPeers) peers.fill(1)
    for (const peer of rule.peers) {
      if (peer.kind === 'ipBlock') {
        const block = { cidr: parseCidr(peer.cidr) as Cidr, except: peer.except.map((e) => parseCidr(e) as Cidr) }
        ipBlocks.push(block)
        pods.forEach((p, i) => {
          if (p.ips.some((ip) => ipBlockMatches(block, ip))) peers[i] = 1
        })
        continue
      }
      const nsSel = peer.namespaceSelector
      const namespaces = nsSel === undefined ? [policy.namespace] : [...podsByNs.keys()].filter((ns) => selectorMatches(nsSel, nsLabels(ns)))
      const podSel = peer.podSelector
      for (const ns of namespaces) {
        for (const i of podsByNs.get(ns) ?? []) {
          if (podSel === undefined || isMatchAll(podSel) || selectorMatches(podSel, (pods[i] as PodInfo).labels)) peers[i] = 1
        }
      }
    }
    return { policy: policyIndex, allPeers, peers, ipBlocks, ports: rule.ports }
  }

  // per pod: the rules of every policy that selects it, per direction; undefined = not isolated
  const ingressRules: (CompiledRule[] | undefined)[] = new Array(n).fill(undefined)
  const egressRules: (CompiledRule[] | undefined)[] = new Array(n).fill(undefined)
  const ingressIsolators: number[][] = Array.from({ length: n }, () => [])
  const egressIsolators: number[][] = Array.from({ length: n }, () => [])

  cluster.policies.forEach((policy, pi) => {
    const selected = (podsByNs.get(policy.namespace) ?? []).filter((i) => selectorMatches(policy.podSelector, (pods[i] as PodInfo).labels))
    if (selected.length === 0) return
    const ing = policy.ingress?.map((r) => compileRule(r, pi, policy))
    const eg = policy.egress?.map((r) => compileRule(r, pi, policy))
    for (const i of selected) {
      if (ing) {
        ingressRules[i] = [...(ingressRules[i] ?? []), ...ing]
        ingressIsolators[i]?.push(pi)
      }
      if (eg) {
        egressRules[i] = [...(egressRules[i] ?? []), ...eg]
        egressIsolators[i]?.push(pi)
      }
    }
  })

  function portsMatch(ports: readonly PolicyPort[], dst: Endpoint, port: number, protocol: Protocol): boolean {
    if (ports.length === 0) return true
    for (const p of ports) {
      if (p.protocol !== protocol) continue
      if (p.port === undefined) return true
      if (typeof p.port === 'number') {
        if (p.endPort === undefined ? port === p.port : port >= p.port && port <= p.endPort) return true
        continue
      }
      // a named port only exists on a pod: resolved on the destination, by name and protocol
      if (dst.kind !== 'pod') continue
      const dstPod = pods[dst.index] as PodInfo
      if (dstPod.ports.some((cp) => cp.name === p.port && cp.port === port && cp.protocol === protocol)) return true
    }
    return false
  }

  function peerMatches(rule: CompiledRule, peer: Endpoint): boolean {
    if (rule.allPeers) return true
    if (peer.kind === 'pod') return rule.peers[peer.index] === 1
    return rule.ipBlocks.some((b) => ipBlockMatches(b, peer.ip))
  }

  function direction(rules: CompiledRule[] | undefined, peer: Endpoint, dst: Endpoint, port: number, protocol: Protocol, collect: boolean): { allowed: boolean; by: number[] } {
    if (rules === undefined) return { allowed: true, by: [] }
    const by: number[] = []
    for (const r of rules) {
      if (portsMatch(r.ports, dst, port, protocol) && peerMatches(r, peer)) {
        if (!collect) return { allowed: true, by }
        if (!by.includes(r.policy)) by.push(r.policy)
      }
    }
    return { allowed: by.length > 0, by }
  }

  const egressOf = (src: Endpoint, dst: Endpoint, port: number, protocol: Protocol, collect: boolean) =>
    direction(src.kind === 'pod' ? egressRules[src.index] : undefined, dst, dst, port, protocol, collect)
  const ingressOf = (src: Endpoint, dst: Endpoint, port: number, protocol: Protocol, collect: boolean) =>
    direction(dst.kind === 'pod' ? ingressRules[dst.index] : undefined, src, dst, port, protocol, collect)

  const names = (ids: number[]) => ids.map((i) => policyName(cluster.policies[i] as Policy))

  return {
    cluster,
    pods,
    indexOf: (id) => index.get(id),
    allowed(src, dst, port, protocol) {
      return egressOf(src, dst, port, protocol, false).allowed && ingressOf(src, dst, port, protocol, false).allowed
    },
    explain(src, dst, port, protocol) {
      const e = egressOf(src, dst, port, protocol, true)
      const i = ingressOf(src, dst, port, protocol, true)
      return {
        allowed: e.allowed && i.allowed,
        egress: { allowed: e.allowed, isolatedBy: src.kind === 'pod' ? names(egressIsolators[src.index] ?? []) : [], allowedBy: names(e.by) },
        ingress: { allowed: i.allowed, isolatedBy: dst.kind === 'pod' ? names(ingressIsolators[dst.index] ?? []) : [], allowedBy: names(i.by) },
      }
    },
  }
}
