// kind cluster configs (kind.x-k8s.io/v1alpha4 Cluster) are not Kubernetes objects, but kind reads them
// strictly: unknown fields are errors. This mirrors kind's own decoding and validation
// (pkg/apis/config/v1alpha4/types.go, pkg/internal/apis/config/validate.go): field names and types, node roles,
// ports in -1..65535, no two port mappings on the same listen address/port/protocol, a control-plane node.

import net from 'node:net'
import { fieldPath } from './types.mts'

export interface KindFinding {
  rule: string
  field: string
  message: string
}

type FieldType = 'string' | 'int' | 'bool' | 'stringMap' | 'boolMap' | 'stringList' | { list: Spec } | { object: Spec } | { enum: readonly string[] }
type Spec = Record<string, FieldType>

const PATCH_JSON6902: Spec = { group: 'string', version: 'string', kind: 'string', patch: 'string' }
const MOUNT: Spec = { containerPath: 'string', hostPath: 'string', readOnly: 'bool', selinuxRelabel: 'bool', propagation: { enum: ['None', 'HostToContainer', 'Bidirectional'] } }
const PORT_MAPPING: Spec = { containerPort: 'int', hostPort: 'int', listenAddress: 'string', protocol: { enum: ['TCP', 'UDP', 'SCTP'] } }
const NODE: Spec = {
  role: { enum: ['control-plane', 'worker'] },
  image: 'string',
  labels: 'stringMap',
  containerLabels: 'stringMap',
  extraMounts: { list: MOUNT },
  extraPortMappings: { list: PORT_MAPPING },
  gpus: 'string',
  kubeadmConfigPatches: 'stringList',
  kubeadmConfigPatchesJSON6902: { list: PATCH_JSON6902 },
}
const NETWORKING: Spec = {
  ipFamily: { enum: ['ipv4', 'ipv6', 'dual'] },
  apiServerPort: 'int',
  apiServerAddress: 'string',
  podSubnet: 'string',
  serviceSubnet: 'string',
  disableDefaultCNI: 'bool',
  kubeProxyMode: { enum: ['iptables', 'ipvs', 'nftables', 'none'] },
  dnsSearch: 'stringList',
}
const CLUSTER: Spec = {
  kind: 'string',
  apiVersion: 'string',
  name: 'string',
  nodes: { list: NODE },
  networking: { object: NETWORKING },
  featureGates: 'boolMap',
  runtimeConfig: 'stringMap',
  kubeadmConfigPatches: 'stringList',
  kubeadmConfigPatchesJSON6902: { list: PATCH_JSON6902 },
  containerdConfigPatches: 'stringList',
  containerdConfigPatchesJSON6902: 'stringList',
}

export const isKindConfig = (doc: unknown): boolean =>
  !!doc && typeof doc === 'object' && (doc as Record<string, unknown>).kind === 'Cluster' && String((doc as Record<string, unknown>).apiVersion ?? '').startsWith('kind.x-k8s.io/')

function checkValue(v: unknown, t: FieldType, path: (string | number)[], out: KindFinding[]): void {
  const at = fieldPath(path)
  const bad = (what: string) => out.push({ rule: 'kind/schema', field: at, message: `must be ${what}` })
  if (t === 'string') { if (typeof v !== 'string') bad('a string'); return }
  if (t === 'int') { if (typeof v !== 'number' || !Number.isInteger(v)) bad('an integer'); return }
  if (t === 'bool') { if (typeof v !== 'boolean') bad('true or false'); return }
  if (t === 'stringList') { if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad('a list of strings'); return }
  if (t === 'stringMap' || t === 'boolMap') {
    const want = t === 'stringMap' ? 'string' : 'boolean'
    if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== want)) bad(`a map of ${want}s`)
    return
  }
  if ('enum' in t) { if (typeof v !== 'string' || !t.enum.includes(v)) bad(`one of ${t.enum.join(', ')}`); return }
  if ('list' in t) {
    if (!Array.isArray(v)) { bad('a list'); return }
    v.forEach((item, i) => checkObject(item, t.list, [...path, i], out))
    return
  }
  checkObject(v, t.object, path, out)
}

function checkObject(v: unknown, spec: Spec, path: (string | number)[], out: KindFinding[]): void {
  if (!v || typeof v !== 'object' || Array.isArray(v)) { out.push({ rule: 'kind/schema', field: fieldPath(path), message: 'must be a mapping' }); return }
  for (const [k, val] of Object.entries(v)) {
    const t = spec[k]
    if (!t) { out.push({ rule: 'kind/schema', field: fieldPath([...path, k]), message: `unknown field "${k}" (kind rejects unknown fields)` }); continue }
    if (val === null || val === undefined) continue
    checkValue(val, t, [...path, k], out)
  }
}

const validPort = (p: unknown) => typeof p === 'number' && p >= -1 && p <= 65535

export function kindConfigFindings(doc: Record<string, any>): KindFinding[] {
  const out: KindFinding[] = []
  if (doc.apiVersion !== 'kind.x-k8s.io/v1alpha4') {
    out.push({ rule: 'kind/schema', field: 'apiVersion', message: `"${String(doc.apiVersion)}" is not supported; use kind.x-k8s.io/v1alpha4` })
    return out
  }
  checkObject(doc, CLUSTER, [], out)
  if (typeof doc.name === 'string' && !/^[a-z0-9.-]+$/.test(doc.name)) out.push({ rule: 'kind/schema', field: 'name', message: `"${doc.name}" is not a valid cluster name (lowercase letters, digits, "." and "-")` })
  const nodes: any[] = Array.isArray(doc.nodes) ? doc.nodes : []
  if (nodes.length > 0 && !nodes.some((n) => (n?.role ?? 'control-plane') === 'control-plane')) {
    out.push({ rule: 'kind/nodes', field: 'nodes', message: 'must have at least one control-plane node' })
  }
  const apiPort = doc.networking?.apiServerPort
  if (apiPort !== undefined && apiPort !== 0 && !validPort(apiPort)) out.push({ rule: 'kind/ports', field: 'networking.apiServerPort', message: `invalid port ${String(apiPort)}` })
  const apiAddr = doc.networking?.apiServerAddress
  if (typeof apiAddr === 'string' && !net.isIP(apiAddr)) out.push({ rule: 'kind/schema', field: 'networking.apiServerAddress', message: `"${apiAddr}" must be an IP address` })
  // kind checks duplicates per node; docker cannot publish one host port twice across nodes either
  const seen = new Map<string, string[]>()
  nodes.forEach((n, i) => {
    ;(Array.isArray(n?.extraPortMappings) ? n.extraPortMappings : []).forEach((m: any, j: number) => {
      const base = `nodes[${i}].extraPortMappings[${j}]`
      for (const k of ['hostPort', 'containerPort'] as const) {
        if (m?.[k] !== undefined && !validPort(m[k])) out.push({ rule: 'kind/ports', field: `${base}.${k}`, message: `invalid port ${String(m[k])}` })
      }
      if (typeof m?.listenAddress === 'string' && !net.isIP(m.listenAddress)) out.push({ rule: 'kind/ports', field: `${base}.listenAddress`, message: `"${m.listenAddress}" must be an IP address` })
      const hostPort = m?.hostPort
      if (typeof hostPort !== 'number' || hostPort <= 0) return
      const key = `${hostPort}/${m.protocol ?? 'TCP'}`
      let addr = typeof m.listenAddress === 'string' ? m.listenAddress : '0.0.0.0'
      if (addr === '::') addr = '0.0.0.0'
      const addrs = seen.get(key) ?? []
      if (addrs.includes(addr) || addrs.includes('0.0.0.0') || (addr === '0.0.0.0' && addrs.length > 0)) {
        out.push({ rule: 'kind/ports', field: `${base}.hostPort`, message: `port mapping with the same listen address, port and protocol already configured: ${addr}:${key}` })
      }
      seen.set(key, [...addrs, addr])
    })
  })
  return out
}
