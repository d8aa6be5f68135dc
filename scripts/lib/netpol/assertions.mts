// User assertions about connectivity ("dev must not reach production"), checked against the computed
// expectation so that a policy change that silently opens (or closes) a path fails offline, in CI.
//
// File format (apps/netpol-assertions.yaml):
//   apiVersion: netpol.platform.local/v1alpha1
//   kind: NetpolAssertions
//   context: [ ...Kubernetes objects... ]   # optional: pods/namespaces the rendered repo does not contain
//                                            # (e.g. Prometheus, installed by a Helm chart), offline only
//   assertions:
//   - name: dev must not reach production
//     from: {namespace: demo-dev}                       # namespace (name or list), namespaceLabels,
//     to:   {namespace: demo-production}                # pod (name or list), podLabels
//     ports: [http, 9090, 53/UDP]                        # optional; names resolve on the destination pod
//     expect: deny                                       # allow | deny: EVERY matching cell must be so
//   - name: no egress to the internet from production
//     from: {namespace: demo-production}
//     to: {external: ["1.1.1.1:443", "example.com:443"]}  # or {dns: true} for name resolution
//     expect: deny
// An assertion that matches no traffic at all fails: a typo in a selector must not pass silently.

import { parse } from 'yaml'
import { yamlErrorText } from './load.mts'
import { parseExternalSpec, type Cell, type Expectation } from './targets.mts'
import { podId, PROTOCOLS, type Cluster, type ExternalTarget, type PodInfo, type Protocol } from './model.mts'
import type { SourcedObject } from './objects.mts'

export interface EndpointSelector {
  namespaces?: string[]
  namespaceLabels?: Record<string, string>
  pods?: string[]
  podLabels?: Record<string, string>
}

export interface ToSelector extends EndpointSelector {
  external?: ExternalTarget[]
  dns?: boolean
}

export type PortSpec = { port: number; protocol?: Protocol } | { name: string }

export interface Assertion {
  name: string
  from: EndpointSelector
  to: ToSelector
  ports?: PortSpec[]
  expect: 'allow' | 'deny'
}

export interface AssertionsFile {
  file: string
  context: SourcedObject[]
  assertions: Assertion[]
}

export interface AssertionResult {
  name: string
  ok: boolean
  expect: 'allow' | 'deny'
  /** how many cells the assertion covered */
  checked: number
  violations: Cell[]
  /** why it failed, one line */
  message?: string
}

export class AssertionsError extends Error {
  constructor(file: string, where: string, message: string) {
    super(`${file}: ${where}: ${message}`)
    this.name = 'AssertionsError'
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function parseAssertions(text: string, file: string): AssertionsFile {
  let doc: unknown
  try {
    doc = parse(text)
  } catch (e) {
    throw new AssertionsError(file, 'not valid YAML', yamlErrorText(e as Error))
  }
  if (!isRecord(doc)) throw new AssertionsError(file, 'document', 'must be a mapping with `assertions:`')
  const fail = (where: string, message: string): never => {
    throw new AssertionsError(file, where, message)
  }
  if (doc.kind !== undefined && doc.kind !== 'NetpolAssertions') fail('kind', `must be NetpolAssertions, got ${String(doc.kind)}`)
  const known = (obj: Record<string, unknown>, where: string, keys: string[]) => {
    for (const k of Object.keys(obj)) if (!keys.includes(k)) fail(`${where}.${k}`, `unknown field (allowed: ${keys.join(', ')})`)
  }
  known(doc, 'document', ['apiVersion', 'kind', 'metadata', 'context', 'assertions'])
  const strList = (v: unknown, where: string): string[] => {
    const list = Array.isArray(v) ? v : [v]
    if (list.length === 0 || list.some((s) => typeof s !== 'string' || s === '')) fail(where, 'must be a name or a list of names')
    return list as string[]
  }
  const labelMap = (v: unknown, where: string): Record<string, string> => {
    if (!isRecord(v) || Object.values(v).some((s) => typeof s !== 'string')) fail(where, 'must be a map of label keys to string values')
    return v as Record<string, string>
  }
  const endpoint = (v: unknown, where: string, isTo: boolean): ToSelector => {
    if (!isRecord(v)) fail(where, 'must be a mapping (namespace, namespaceLabels, pod, podLabels' + (isTo ? ', external, dns)' : ')'))
    const rec = v as Record<string, unknown>
    known(rec, where, ['namespace', 'namespaceLabels', 'pod', 'podLabels', ...(isTo ? ['external', 'dns'] : [])])
    const sel: ToSelector = {}
    if (rec.namespace !== undefined) sel.namespaces = strList(rec.namespace, `${where}.namespace`)
    if (rec.namespaceLabels !== undefined) sel.namespaceLabels = labelMap(rec.namespaceLabels, `${where}.namespaceLabels`)
    if (rec.pod !== undefined) sel.pods = strList(rec.pod, `${where}.pod`)
    if (rec.podLabels !== undefined) sel.podLabels = labelMap(rec.podLabels, `${where}.podLabels`)
    if (rec.external !== undefined) {
      sel.external = strList(rec.external, `${where}.external`).map((s) => parseExternalSpec(s) ?? fail(`${where}.external`, `${JSON.stringify(s)} is not host:port[/TCP|UDP|SCTP]`))
    }
    if (rec.dns !== undefined) {
      if (typeof rec.dns !== 'boolean') fail(`${where}.dns`, 'must be true or false')
      sel.dns = rec.dns as boolean
    }
    const pick = [sel.external ? 'external' : '', sel.dns ? 'dns' : '', sel.namespaces || sel.namespaceLabels || sel.pods || sel.podLabels ? 'pods' : ''].filter(Boolean)
    if (pick.length > 1) fail(where, `choose one of pod selectors, external or dns (got ${pick.join(' + ')})`)
    return sel
  }
  const portSpec = (v: unknown, where: string): PortSpec => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535) return { port: v }
    if (typeof v === 'string') {
      const m = /^(\d{1,5})\/(\w+)$/.exec(v)
      if (m && PROTOCOLS.includes(m[2]?.toUpperCase() as Protocol)) return { port: Number(m[1]), protocol: m[2]?.toUpperCase() as Protocol }
      if (/^[a-z0-9-]{1,15}$/.test(v) && /[a-z]/.test(v)) return { name: v }
    }
    return fail(where, `${JSON.stringify(v)} is not a port number, number/PROTOCOL or port name`)
  }

  const context: SourcedObject[] = []
  if (doc.context !== undefined && doc.context !== null) {
    if (!Array.isArray(doc.context)) fail('context', 'must be a list of Kubernetes objects')
    ;(doc.context as unknown[]).forEach((obj, i) => context.push({ obj, source: `${file} context[${i}]` }))
  }
  if (!Array.isArray(doc.assertions) || doc.assertions.length === 0) fail('assertions', 'must be a non-empty list')
  const names = new Set<string>()
  const assertions = (doc.assertions as unknown[]).map((raw, i): Assertion => {
    const where = `assertions[${i}]`
    if (!isRecord(raw)) fail(where, 'must be a mapping')
    const a = raw as Record<string, unknown>
    known(a, where, ['name', 'from', 'to', 'ports', 'expect'])
    if (typeof a.name !== 'string' || a.name === '') fail(`${where}.name`, 'is required')
    const name = a.name as string
    if (names.has(name)) fail(`${where}.name`, `duplicate assertion name ${JSON.stringify(name)}`)
    names.add(name)
    if (a.expect !== 'allow' && a.expect !== 'deny') fail(`${where}.expect`, 'must be allow or deny')
    const out: Assertion = { name, from: endpoint(a.from ?? {}, `${where}.from`, false), to: endpoint(a.to ?? {}, `${where}.to`, true), expect: a.expect as 'allow' | 'deny' }
    if (a.ports !== undefined) {
      if (!Array.isArray(a.ports) || a.ports.length === 0) fail(`${where}.ports`, 'must be a non-empty list')
      out.ports = (a.ports as unknown[]).map((p, j) => portSpec(p, `${where}.ports[${j}]`))
    }
    return out
  })
  return { file, context, assertions }
}

/** The external targets and DNS checks the assertions need in the expectation's universe. */
export function assertionTargets(file: AssertionsFile): { externals: ExternalTarget[]; dns: boolean } {
  return {
    externals: file.assertions.flatMap((a) => a.to.external ?? []),
    dns: file.assertions.some((a) => a.to.dns === true),
  }
}

function podMatches(sel: EndpointSelector, pod: PodInfo, cluster: Cluster): boolean {
  if (sel.namespaces && !sel.namespaces.includes(pod.namespace)) return false
  if (sel.pods && !sel.pods.includes(pod.name)) return false
  const has = (labels: Readonly<Record<string, string>>, want: Record<string, string>) => Object.entries(want).every(([k, v]) => labels[k] === v)
  if (sel.podLabels && !has(pod.labels, sel.podLabels)) return false
  if (sel.namespaceLabels && !has(cluster.namespaces.get(pod.namespace)?.labels ?? {}, sel.namespaceLabels)) return false
  return true
}

function portMatches(specs: PortSpec[] | undefined, cell: Cell, dst: PodInfo | undefined): boolean {
  if (!specs) return true
  return specs.some((s) => {
    if ('name' in s) return dst !== undefined && dst.ports.some((p) => p.name === s.name && p.port === cell.port && p.protocol === cell.protocol)
    return s.port === cell.port && (s.protocol === undefined || s.protocol === cell.protocol)
  })
}

export function checkAssertions(file: AssertionsFile, exp: Expectation, cells: readonly Cell[] = exp.cells): AssertionResult[] {
  const cluster = exp.engine.cluster
  const pods = new Map<string, PodInfo>(exp.engine.pods.map((p) => [podId(p), p]))
  return file.assertions.map((a) => {
    const want = a.expect === 'allow'
    const covered = cells.filter((c) => {
      const src = pods.get(c.from)
      if (!src || !podMatches(a.from, src, cluster)) return false
      if (a.to.external) {
        if (c.toKind !== 'external' || !a.to.external.some((t) => t.host === c.to && t.port === c.port && t.protocol === c.protocol)) return false
        return true
      }
      if (a.to.dns) return c.toKind === 'dns'
      if (c.toKind !== 'pod') return false
      const dst = pods.get(c.to)
      return dst !== undefined && podMatches(a.to, dst, cluster) && portMatches(a.ports, c, dst)
    })
    const violations = covered.filter((c) => c.allowed !== want)
    const result: AssertionResult = { name: a.name, ok: covered.length > 0 && violations.length === 0, expect: a.expect, checked: covered.length, violations }
    if (covered.length === 0) result.message = 'matched no traffic: check the namespace/pod names, labels and ports'
    else if (violations.length > 0) result.message = `${violations.length} of ${covered.length} connections are ${want ? 'denied' : 'allowed'}`
    return result
  })
}
