// What a source pod is checked against: every other pod on each of its declared ports, external targets
// (an IP or a DNS name outside the cluster) and DNS itself (kube-dns). Turns an Engine into expected cells.

import { isIp } from './ip.mts'
import { buildEngine, type Endpoint, type Engine } from './engine.mts'
import { METADATA_NAME_LABEL, podId, PROTOCOLS, type Cluster, type ContainerPort, type ExternalTarget, type PodInfo, type Protocol } from './model.mts'

export type DestinationKind = 'pod' | 'external' | 'dns'

export interface DestPort {
  port: number
  protocol: Protocol
  name?: string
}

export interface Destination {
  /** pod id "ns/name", the external host as given, or "dns" */
  id: string
  kind: DestinationKind
  ports: DestPort[]
  /** index into engine.pods for kind pod */
  pod?: number
  host?: string
  ip?: string
}

export interface Cell {
  from: string
  to: string
  port: number
  protocol: Protocol
  allowed: boolean
  toKind: DestinationKind
  portName?: string
}

export const cellKey = (c: { from: string; to: string; port: number; protocol: string }): string => `${c.from}|${c.to}|${c.port}/${c.protocol}`

export const KUBE_DNS = { namespace: 'kube-system', label: 'k8s-app', value: 'kube-dns' } as const
export const DNS_DESTINATION_ID = 'dns'

/** Unique (port, protocol) pairs a pod serves, sorted; the first declared name is kept for display. */
export function servedPorts(pod: PodInfo): DestPort[] {
  const seen = new Map<string, DestPort>()
  for (const cp of pod.ports) {
    const key = `${cp.port}/${cp.protocol}`
    if (!seen.has(key)) seen.set(key, cp.name ? { port: cp.port, protocol: cp.protocol, name: cp.name } : { port: cp.port, protocol: cp.protocol })
  }
  return [...seen.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol))
}

const isKubeDns = (p: PodInfo) => p.namespace === KUBE_DNS.namespace && p.labels[KUBE_DNS.label] === KUBE_DNS.value

/**
 * Returns the cluster with a stand-in kube-dns pod when it has none (offline input never contains the
 * add-ons), so "can this pod resolve names?" has an answer. The stand-in declares CoreDNS's real
 * container ports; it is never a row or column of the matrix.
 */
export function withKubeDns(cluster: Cluster): Cluster {
  if (cluster.pods.some(isKubeDns)) return cluster
  const ports: ContainerPort[] = [
    { port: 53, protocol: 'UDP', name: 'dns' },
    { port: 53, protocol: 'TCP', name: 'dns-tcp' },
    { port: 9153, protocol: 'TCP', name: 'metrics' },
  ]
  const dnsPod: PodInfo = { namespace: KUBE_DNS.namespace, name: 'kube-dns', labels: { [KUBE_DNS.label]: KUBE_DNS.value }, ports, ips: [], origin: 'stand-in for CoreDNS', virtual: true }
  const namespaces = new Map(cluster.namespaces)
  if (!namespaces.has(KUBE_DNS.namespace)) namespaces.set(KUBE_DNS.namespace, { name: KUBE_DNS.namespace, labels: { [METADATA_NAME_LABEL]: KUBE_DNS.namespace }, implicit: true })
  return { namespaces, pods: [...cluster.pods, dnsPod], policies: cluster.policies }
}

/** The port DNS queries land on, per kube-dns pod: the UDP port named "dns", else any UDP 53, else 53. */
function dnsPort(p: PodInfo): number {
  return p.ports.find((cp) => cp.protocol === 'UDP' && cp.name === 'dns')?.port ?? p.ports.find((cp) => cp.protocol === 'UDP')?.port ?? 53
}

/** Parses `host:port[/PROTO]`, `[v6]:port[/PROTO]`; protocol defaults to TCP. */
export function parseExternalSpec(spec: string): ExternalTarget | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:/\s]+)):(\d{1,5})(?:\/(\w+))?$/.exec(spec.trim())
  if (!m) return undefined
  const host = (m[1] ?? m[2]) as string
  const port = Number(m[3])
  const protocol = (m[4] ?? 'TCP').toUpperCase()
  if (port < 1 || port > 65535 || !PROTOCOLS.includes(protocol as Protocol)) return undefined
  if (m[1] !== undefined && !isIp(host)) return undefined
  const t: ExternalTarget = { kind: 'external', host, port, protocol: protocol as Protocol }
  if (isIp(host)) t.ip = host
  return t
}

export interface Universe {
  /** engine.pods indices that act as sources */
  sources: number[]
  destinations: Destination[]
}

export interface UniverseOptions {
  /** only pods in these namespaces are sources/destinations (default: every namespace) */
  namespaces?: readonly string[]
  externals?: readonly ExternalTarget[]
  /** add the DNS destination (queries to kube-dns) */
  dns?: boolean
}

export function buildUniverse(engine: Engine, options: UniverseOptions = {}): Universe {
  const inScope = (p: PodInfo) => !p.virtual && (options.namespaces === undefined || options.namespaces.includes(p.namespace))
  const sources: number[] = []
  const destinations: Destination[] = []
  engine.pods.forEach((p, i) => {
    if (!inScope(p)) return
    sources.push(i)
    const ports = servedPorts(p)
    if (ports.length > 0) destinations.push({ id: podId(p), kind: 'pod', ports, pod: i, ...(p.ips[0] ? { ip: p.ips[0] } : {}) })
  })
  const byHost = new Map<string, Destination>()
  for (const t of options.externals ?? []) {
    let d = byHost.get(t.host)
    if (!d) {
      d = { id: t.host, kind: 'external', ports: [], host: t.host, ...(t.ip ? { ip: t.ip } : {}) }
      byHost.set(t.host, d)
      destinations.push(d)
    }
    if (!d.ports.some((p) => p.port === t.port && p.protocol === t.protocol)) d.ports.push({ port: t.port, protocol: t.protocol })
  }
  if (options.dns) destinations.push({ id: DNS_DESTINATION_ID, kind: 'dns', ports: [{ port: 53, protocol: 'UDP', name: 'dns' }] })
  return { sources, destinations }
}

export interface Expectation {
  engine: Engine
  universe: Universe
  cells: Cell[]
}

/** Can `src` resolve names: every kube-dns pod must admit its queries (the Service may pick any of them). */
export function dnsAllowed(engine: Engine, src: number): boolean {
  const dnsPods = engine.pods.map((p, i) => [p, i] as const).filter(([p]) => isKubeDns(p))
  if (dnsPods.length === 0) return true
  return dnsPods.every(([p, i]) => engine.allowed({ kind: 'pod', index: src }, { kind: 'pod', index: i }, dnsPort(p), 'UDP'))
}

export function expectedFor(engine: Engine, src: number, dest: Destination, port: DestPort): boolean {
  const from: Endpoint = { kind: 'pod', index: src }
  if (dest.kind === 'dns') return dnsAllowed(engine, src)
  if (dest.kind === 'pod') return engine.allowed(from, { kind: 'pod', index: dest.pod as number }, port.port, port.protocol)
  const to: Endpoint = dest.ip ? { kind: 'external', ip: dest.ip } : { kind: 'external' }
  // a DNS name has to be resolved first, through kube-dns
  return engine.allowed(from, to, port.port, port.protocol) && (dest.ip !== undefined || dnsAllowed(engine, src))
}

export function expectCells(engine: Engine, universe: Universe): Cell[] {
  const cells: Cell[] = []
  for (const s of universe.sources) {
    const from = podId(engine.pods[s] as PodInfo)
    for (const d of universe.destinations) {
      if (d.kind === 'pod' && d.pod === s) continue // loopback: a pod cannot block itself; upstream ignores it
      for (const p of d.ports) {
        const cell: Cell = { from, to: d.id, port: p.port, protocol: p.protocol, allowed: expectedFor(engine, s, d, p), toKind: d.kind }
        if (p.name) cell.portName = p.name
        cells.push(cell)
      }
    }
  }
  return cells
}

/** One call for callers that start from a Cluster: adds the kube-dns stand-in when DNS matters. */
export function computeExpectation(cluster: Cluster, options: UniverseOptions = {}): Expectation {
  const needsDns = options.dns === true || (options.externals ?? []).some((t) => t.ip === undefined)
  const engine = buildEngine(needsDns ? withKubeDns(cluster) : cluster)
  const universe = buildUniverse(engine, options)
  return { engine, universe, cells: expectCells(engine, universe) }
}
