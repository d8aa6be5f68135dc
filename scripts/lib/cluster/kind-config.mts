// The effective kind config: cluster/kind.yaml edited as parsed YAML (comments kept) with this run's worker
// count, node image and host ports. Pure: reads the file, returns text; the cluster phase writes it to state.

import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { EXIT, StepError } from '../shell/errors.mts'

export const KIND_CONFIG_FILE = path.join('cluster', 'kind.yaml')
/** the label the demo Deployment's required node affinity selects */
export const APP_NODE_LABEL = 'node-role.platform.dev/app'
/** the label the gateway controller's nodeSelector selects; the node with the host port mappings */
export const INGRESS_NODE_LABEL = 'ingress-ready'
export const GATEWAY_HTTP_CONTAINER_PORT = 80
export const GATEWAY_HTTPS_CONTAINER_PORT = 443

export interface KindConfigInput {
  name: string
  workers: number
  nodeImage: string
  httpPort: number
  httpsPort: number
}

export interface KindNodeSummary {
  role: string
  labels: Record<string, string>
  image?: string
  mappings: { containerPort: number; hostPort: number; listenAddress: string; protocol: string }[]
}

export interface EffectiveKindConfig {
  text: string
  /** sha256 of the config as data (comments and formatting do not count) */
  hash: string
  nodes: KindNodeSummary[]
}

const invalid = (message: string, file: string) =>
  new StepError({ step: 'cluster', message: `${file}: ${message}`, hint: 'fix the kind config (see https://kind.sigs.k8s.io/docs/user/configuration/)', exitCode: EXIT.usage })

type Node = YAML.YAMLMap<unknown, unknown>

function asMap(v: unknown): Node | undefined {
  return YAML.isMap(v) ? (v as Node) : undefined
}

/** Set a label on a node map, creating `labels:` when missing; values are strings as Kubernetes wants. */
function setLabel(doc: YAML.Document, node: Node, key: string, value: string): void {
  let labels = asMap(node.get('labels', true))
  if (!labels) {
    labels = doc.createNode({}) as Node
    node.set('labels', labels)
  }
  const scalar = doc.createNode(value) as YAML.Scalar
  scalar.type = 'QUOTE_DOUBLE'
  labels.set(key, scalar)
}

/** Point the mapping for containerPort at hostPort on 127.0.0.1, adding it when the file has none. */
function setMapping(doc: YAML.Document, node: Node, containerPort: number, hostPort: number): void {
  const found: unknown = node.get('extraPortMappings', true)
  let seq: YAML.YAMLSeq<unknown>
  if (YAML.isSeq(found)) seq = found as YAML.YAMLSeq<unknown>
  else {
    seq = doc.createNode([]) as YAML.YAMLSeq<unknown>
    node.set('extraPortMappings', seq)
  }
  let m = seq.items.map(asMap).find((x) => Number(x?.get('containerPort')) === containerPort)
  if (!m) {
    m = doc.createNode({ containerPort }) as Node
    seq.add(m)
  }
  m.set('hostPort', hostPort)
  m.set('listenAddress', '127.0.0.1')
  if (!m.has('protocol')) m.set('protocol', 'TCP')
}

export function summarizeNodes(js: unknown): KindNodeSummary[] {
  const nodes = (js as { nodes?: unknown[] } | null)?.nodes ?? []
  return nodes.map((n) => {
    const o = (n ?? {}) as Record<string, any>
    return {
      role: String(o.role ?? 'control-plane'),
      labels: Object.fromEntries(Object.entries((o.labels ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
      ...(o.image ? { image: String(o.image) } : {}),
      mappings: ((o.extraPortMappings ?? []) as Record<string, unknown>[]).map((m) => ({
        containerPort: Number(m.containerPort),
        hostPort: Number(m.hostPort ?? 0),
        listenAddress: String(m.listenAddress ?? '0.0.0.0'),
        protocol: String(m.protocol ?? 'TCP'),
      })),
    }
  })
}

/**
 * cluster/kind.yaml with this run's settings:
 * - exactly one control-plane node is expected; it (or the node the file labels ingress-ready) gets the
 *   ingress label and the 80/443 mappings on 127.0.0.1 with the chosen host ports;
 * - `workers` worker nodes: the file's workers first, the last one repeated, extra ones dropped; every worker
 *   carries the app label (the demo Deployment requires it);
 * - every node runs the pinned node image.
 */
export function renderKindConfig(baseText: string, input: KindConfigInput, file = KIND_CONFIG_FILE): EffectiveKindConfig {
  const doc = YAML.parseDocument(baseText)
  if (doc.errors.length) throw invalid(`not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`, file)
  const root = asMap(doc.contents)
  if (!root) throw invalid('expected a kind Cluster object', file)
  if (root.get('kind') !== 'Cluster' || root.get('apiVersion') !== 'kind.x-k8s.io/v1alpha4') {
    throw invalid('expected kind: Cluster and apiVersion: kind.x-k8s.io/v1alpha4', file)
  }
  root.set('name', input.name)
  const found: unknown = root.get('nodes', true)
  let nodes: YAML.YAMLSeq<unknown>
  if (YAML.isSeq(found)) nodes = found as YAML.YAMLSeq<unknown>
  else {
    nodes = doc.createNode([{ role: 'control-plane' }]) as YAML.YAMLSeq<unknown>
    root.set('nodes', nodes)
  }
  const all = nodes.items.map((n, i) => {
    const m = asMap(n)
    if (!m) throw invalid(`nodes[${i}] is not a mapping`, file)
    return m
  })
  const roleOf = (n: Node) => String(n.get('role') ?? 'control-plane')
  const controlPlanes = all.filter((n) => roleOf(n) === 'control-plane')
  if (controlPlanes.length !== 1) throw invalid(`expected exactly one control-plane node, found ${controlPlanes.length}`, file)
  for (const n of all) {
    const role = roleOf(n)
    if (role !== 'control-plane' && role !== 'worker') throw invalid(`unknown node role "${role}"`, file)
  }

  // Workers: keep the file's, repeat the last one (with its labels and mounts) or drop extras.
  const workers = all.filter((n) => roleOf(n) === 'worker')
  const template = workers.at(-1) ?? (doc.createNode({ role: 'worker' }) as Node)
  while (workers.length < input.workers) {
    const copy = template.clone() as Node
    // host port mappings cannot be shared by two nodes
    copy.delete('extraPortMappings')
    copy.commentBefore = undefined
    copy.comment = undefined
    workers.push(copy)
  }
  const keptWorkers = workers.slice(0, input.workers)
  nodes.items = [...all.filter((n) => roleOf(n) !== 'worker'), ...keptWorkers]

  const ingress = nodes.items.map((n) => n as Node).find((n) => String(asMap(n.get('labels', true))?.get(INGRESS_NODE_LABEL) ?? '') === 'true') ?? controlPlanes[0]!
  setLabel(doc, ingress, INGRESS_NODE_LABEL, 'true')
  setMapping(doc, ingress, GATEWAY_HTTP_CONTAINER_PORT, input.httpPort)
  setMapping(doc, ingress, GATEWAY_HTTPS_CONTAINER_PORT, input.httpsPort)
  for (const w of keptWorkers) setLabel(doc, w, APP_NODE_LABEL, 'true')
  for (const n of nodes.items as Node[]) n.set('image', input.nodeImage)

  const js = doc.toJS() as Record<string, unknown>
  const header = '# Effective kind config written by `npx zx scripts/up.mts` from cluster/kind.yaml. Do not edit: edit cluster/kind.yaml.\n'
  return {
    text: header + doc.toString({ lineWidth: 0 }),
    hash: crypto.createHash('sha256').update(JSON.stringify(js)).digest('hex').slice(0, 16),
    nodes: summarizeNodes(js),
  }
}

export function readKindConfigBase(root: string, file = KIND_CONFIG_FILE): string {
  const p = path.resolve(root, file)
  try {
    return fs.readFileSync(p, 'utf8')
  } catch (e) {
    throw invalid(`cannot read: ${(e as Error).message}`, file)
  }
}

/** Node container names kind gives a cluster: <name>-control-plane, <name>-worker, <name>-worker2, ... */
export function nodeNames(name: string, nodes: Pick<KindNodeSummary, 'role'>[]): string[] {
  const count: Record<string, number> = {}
  return nodes.map((n) => {
    const i = (count[n.role] = (count[n.role] ?? 0) + 1)
    return `${name}-${n.role}${i === 1 ? '' : i}`
  })
}
