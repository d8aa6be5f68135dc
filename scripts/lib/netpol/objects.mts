// Raw Kubernetes objects (from YAML files, `kubectl kustomize` output or `kubectl get -o json`) -> Cluster.
//
// - Namespaces get the automatic kubernetes.io/metadata.name label; a namespace that a pod or policy names
//   but no Namespace object declares exists with only that label.
// - Workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) become ONE representative pod
//   named after the workload: every replica has the same labels and ports, so one stands for all of them
//   (the only thing lost is replica-to-replica traffic, which policies cannot tell apart from pod-to-self).
//   A representative has no IP, so ipBlock peers never match it.
// - hostNetwork pods and finished pods (Succeeded/Failed) are left out: policies do not select hostNetwork
//   pods (their traffic looks like node traffic) and finished pods have no network identity.

import { InvalidInput } from './labels.mts'
import { parseProtocol, parseNetworkPolicy } from './policy.mts'
import { METADATA_NAME_LABEL, podId, type Cluster, type ContainerPort, type Labels, type NamespaceInfo, type PodInfo, type Policy } from './model.mts'

export interface SourcedObject {
  obj: unknown
  /** file (and document index) it came from, for messages */
  source?: string
}

export interface BuildOptions {
  /** expand Deployments/StatefulSets/DaemonSets/... into representative pods (default true) */
  expandWorkloads?: boolean
}

export interface BuildResult {
  cluster: Cluster
  warnings: string[]
}

/** An input problem with its location, ready to be shown to the user. */
export class InputProblem extends Error {
  readonly source: string | undefined
  readonly object: string
  readonly field: string | undefined
  constructor(source: string | undefined, object: string, message: string, field?: string) {
    super(`${source ? `${source}: ` : ''}${object}${field ? ` ${field}` : ''}: ${message}`)
    this.name = 'InputProblem'
    this.source = source
    this.object = object
    this.field = field
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const WORKLOAD_TEMPLATE: Record<string, readonly string[]> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
}

function dig(obj: unknown, path: readonly string[]): unknown {
  let cur = obj
  for (const k of path) cur = isRecord(cur) ? cur[k] : undefined
  return cur
}

function stringMap(raw: unknown, field: string): Record<string, string> {
  if (raw === undefined || raw === null) return {}
  if (!isRecord(raw)) throw new InvalidInput(field, 'must be a map')
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new InvalidInput(`${field}.${k}`, `must be a string (quote it), got ${JSON.stringify(v)}`)
    out[k] = v
  }
  return out
}

function containerPorts(podSpec: Record<string, unknown>, field: string): ContainerPort[] {
  const ports: ContainerPort[] = []
  const collect = (list: unknown, listField: string, onlySidecars: boolean) => {
    if (!Array.isArray(list)) return
    list.forEach((c: unknown, i) => {
      if (!isRecord(c)) return
      // restartable init containers ("sidecars") serve traffic like regular containers (kubernetes#125285)
      if (onlySidecars && c.restartPolicy !== 'Always') return
      if (!Array.isArray(c.ports)) return
      c.ports.forEach((p: unknown, j) => {
        const f = `${field}.${listField}[${i}].ports[${j}]`
        if (!isRecord(p)) throw new InvalidInput(f, 'must be an object')
        const port = p.containerPort
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidInput(`${f}.containerPort`, `must be 1-65535, got ${JSON.stringify(port)}`)
        const cp: ContainerPort = { port, protocol: parseProtocol(p.protocol, `${f}.protocol`) }
        if (typeof p.name === 'string' && p.name !== '') cp.name = p.name
        ports.push(cp)
      })
    })
  }
  collect(podSpec.containers, 'containers', false)
  collect(podSpec.initContainers, 'initContainers', true)
  return ports
}

function podIps(status: unknown): string[] {
  if (!isRecord(status)) return []
  const ips = new Set<string>()
  if (typeof status.podIP === 'string' && status.podIP) ips.add(status.podIP)
  if (Array.isArray(status.podIPs)) for (const e of status.podIPs) if (isRecord(e) && typeof e.ip === 'string' && e.ip) ips.add(e.ip)
  return [...ips]
}

function describe(obj: Record<string, unknown>): string {
  const kind = typeof obj.kind === 'string' ? obj.kind : '(no kind)'
  const meta = isRecord(obj.metadata) ? obj.metadata : {}
  const ns = typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''
  return `${kind} ${ns}${typeof meta.name === 'string' ? meta.name : '(no name)'}`
}

/** Flattens `kind: List` (what `kubectl get -o json` prints) and skips empty documents. */
export function flattenObjects(objects: readonly SourcedObject[]): SourcedObject[] {
  const out: SourcedObject[] = []
  const walk = (o: SourcedObject) => {
    if (!isRecord(o.obj)) return
    if (typeof o.obj.kind === 'string' && o.obj.kind.endsWith('List') && Array.isArray(o.obj.items)) {
      for (const item of o.obj.items) walk({ obj: item, ...(o.source ? { source: o.source } : {}) })
      return
    }
    out.push(o)
  }
  objects.forEach(walk)
  return out
}

export function buildCluster(input: readonly SourcedObject[], options: BuildOptions = {}): BuildResult {
  const expand = options.expandWorkloads ?? true
  const warnings: string[] = []
  const declaredNs = new Map<string, NamespaceInfo>()
  const pods: PodInfo[] = []
  const podSources = new Map<string, string>()
  const workloadPods: PodInfo[] = []
  const policies: Policy[] = []

  for (const { obj, source } of flattenObjects(input)) {
    if (!isRecord(obj)) continue
    const kind = obj.kind
    const meta = isRecord(obj.metadata) ? obj.metadata : {}
    const name = typeof meta.name === 'string' ? meta.name : ''
    const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default'
    try {
      if (kind === 'Namespace') {
        if (!name) throw new InvalidInput('metadata.name', 'is required')
        // the automatic label cannot be overridden: the API server sets it on every namespace
        declaredNs.set(name, { name, labels: { ...stringMap(meta.labels, 'metadata.labels'), [METADATA_NAME_LABEL]: name } })
      } else if (kind === 'Pod') {
        if (!name) throw new InvalidInput('metadata.name', 'is required')
        const spec = isRecord(obj.spec) ? obj.spec : {}
        const phase = dig(obj, ['status', 'phase'])
        if (spec.hostNetwork === true || phase === 'Succeeded' || phase === 'Failed') continue
        const pod: PodInfo = { namespace, name, labels: stringMap(meta.labels, 'metadata.labels'), ports: containerPorts(spec, 'spec'), ips: podIps(obj.status), origin: 'Pod' }
        const id = podId(pod)
        if (podSources.has(id)) throw new InvalidInput('metadata.name', `duplicate Pod ${id} (also in ${podSources.get(id) || 'an earlier document'})`)
        podSources.set(id, source ?? '')
        pods.push(pod)
      } else if (kind === 'NetworkPolicy') {
        if (typeof obj.apiVersion === 'string' && obj.apiVersion !== 'networking.k8s.io/v1') continue
        policies.push(parseNetworkPolicy(obj, source))
      } else if (expand && typeof kind === 'string' && WORKLOAD_TEMPLATE[kind]) {
        if (!name) throw new InvalidInput('metadata.name', 'is required')
        const template = dig(obj, WORKLOAD_TEMPLATE[kind])
        if (!isRecord(template)) continue
        const tSpec = isRecord(template.spec) ? template.spec : {}
        if (tSpec.hostNetwork === true) continue
        const tMeta = isRecord(template.metadata) ? template.metadata : {}
        const path = WORKLOAD_TEMPLATE[kind].join('.')
        workloadPods.push({
          namespace,
          name,
          labels: stringMap(tMeta.labels, `${path}.metadata.labels`),
          ports: containerPorts(tSpec, `${path}.spec`),
          ips: [],
          origin: `${kind}/${name}`,
        })
      }
    } catch (e) {
      if (e instanceof InvalidInput) throw new InputProblem(source, describe(obj), e.message, e.field)
      throw e
    }
  }

  // A workload whose representative would collide with a real Pod (or another workload) gets a kind suffix.
  const taken = new Set(pods.map(podId))
  for (const wp of workloadPods) {
    let candidate = wp
    if (taken.has(podId(wp))) {
      const kind = (wp.origin ?? '').split('/')[0]?.toLowerCase() ?? 'workload'
      candidate = { ...wp, name: `${wp.name}-${kind}` }
      for (let i = 2; taken.has(podId(candidate)); i++) candidate = { ...wp, name: `${wp.name}-${kind}-${i}` }
      warnings.push(`${wp.origin} in ${wp.namespace} is shown as ${podId(candidate)} (name already taken)`)
    }
    taken.add(podId(candidate))
    pods.push(candidate)
  }

  const namespaces = new Map<string, NamespaceInfo>(declaredNs)
  const ensureNs = (name: string) => {
    if (!namespaces.has(name)) namespaces.set(name, { name, labels: { [METADATA_NAME_LABEL]: name }, implicit: true })
  }
  pods.forEach((p) => ensureNs(p.namespace))
  policies.forEach((p) => ensureNs(p.namespace))

  for (const p of pods) if (p.ports.length === 0) warnings.push(`${podId(p)} declares no container ports, so it is never a destination`)
  return { cluster: { namespaces, pods, policies }, warnings }
}

export const labelsOf = (ns: NamespaceInfo | undefined): Labels => ns?.labels ?? {}
