// The upstream-e2e / cyclonus topology: namespaces x, y, z (label ns=<name>) x pods a, b, c (label pod=<name>),
// every pod serving 80 and 81 on TCP and UDP with ports named serve-<port>-<proto>. Pod IPs are
// 10.0.<1|2|3>.<1|2|3> for x|y|z and a|b|c, so ipBlock cases can be derived by hand.
// Plus a tiny "reachability" table builder in the style of upstream's Reachability, so each test states
// its expectation as a few rules instead of 144 literals.

import { buildCluster, type SourcedObject } from '../../scripts/lib/netpol/objects.mts'
import { computeExpectation, type Cell, type UniverseOptions } from '../../scripts/lib/netpol/targets.mts'

export const NAMESPACES = ['x', 'y', 'z'] as const
export const PODS = ['a', 'b', 'c'] as const
export const PORTS = [80, 81] as const
export const PROTOS = ['TCP', 'UDP'] as const

export const ipOf = (ns: string, pod: string): string => `10.0.${NAMESPACES.indexOf(ns as 'x') + 1}.${PODS.indexOf(pod as 'a') + 1}`

export function topologyObjects(): unknown[] {
  const objs: unknown[] = []
  for (const ns of NAMESPACES) {
    objs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ns } } })
    for (const pod of PODS) {
      objs.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { namespace: ns, name: pod, labels: { pod } },
        spec: {
          containers: PORTS.flatMap((port) =>
            PROTOS.map((protocol) => ({
              name: `cont-${port}-${protocol.toLowerCase()}`,
              image: 'agnhost',
              ports: [{ containerPort: port, protocol, name: `serve-${port}-${protocol.toLowerCase()}` }],
            })),
          ),
        },
        status: { podIP: ipOf(ns, pod) },
      })
    }
  }
  return objs
}

export const ALL_PODS: string[] = NAMESPACES.flatMap((ns) => PODS.map((p) => `${ns}/${p}`))

/** Build a policy object; `spec` is taken verbatim so tests show exactly the YAML under test. */
export const netpol = (namespace: string, name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { namespace, name },
  spec,
})

export function compute(policies: unknown[], extra: unknown[] = [], options: UniverseOptions = {}): Cell[] {
  const objs: SourcedObject[] = [...topologyObjects(), ...extra, ...policies].map((obj) => ({ obj }))
  return computeExpectation(buildCluster(objs).cluster, options).cells
}

interface Match {
  from?: string
  to?: string
  port?: number
  protocol?: string
}

/** Expected table over the topology: start from a default, then apply rules in order (later wins). */
export class Reach {
  readonly table = new Map<string, boolean>()
  constructor(defaultAllowed: boolean) {
    for (const from of ALL_PODS) for (const to of ALL_PODS) {
      if (from === to) continue
      for (const port of PORTS) for (const protocol of PROTOS) this.table.set(`${from}|${to}|${port}/${protocol}`, defaultAllowed)
    }
  }
  set(m: Match, allowed: boolean): this {
    for (const key of this.table.keys()) {
      const [from, to, pp] = key.split('|') as [string, string, string]
      const [port, protocol] = pp.split('/')
      const ok = (want: string | undefined, got: string) => want === undefined || (want.endsWith('/*') ? got.startsWith(want.slice(0, -1)) : want === got)
      if (ok(m.from, from) && ok(m.to, to) && (m.port === undefined || String(m.port) === port) && (m.protocol === undefined || m.protocol === protocol)) this.table.set(key, allowed)
    }
    return this
  }
  /** Differences between the engine's cells and this table, as readable lines (empty = equal). */
  diff(cells: Cell[]): string[] {
    const out: string[] = []
    const seen = new Set<string>()
    for (const c of cells) {
      const key = `${c.from}|${c.to}|${c.port}/${c.protocol}`
      seen.add(key)
      const want = this.table.get(key)
      if (want === undefined) out.push(`unexpected cell ${key}`)
      else if (want !== c.allowed) out.push(`${c.from} -> ${c.to} ${c.port}/${c.protocol}: engine says ${c.allowed ? 'allowed' : 'denied'}, expected ${want ? 'allowed' : 'denied'}`)
    }
    for (const key of this.table.keys()) if (!seen.has(key)) out.push(`missing cell ${key}`)
    return out
  }
}
