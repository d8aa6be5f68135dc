// A tiny in-state Kubernetes API: objects per context, kind aliases, label selectors, readiness.
import YAML from '../yaml.mjs'

export const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService', 'GatewayClass', 'ClusterIssuer'])

const ALIASES = {
  ns: 'Namespace', po: 'Pod', svc: 'Service', deploy: 'Deployment', cm: 'ConfigMap', netpol: 'NetworkPolicy', ks: 'Kustomization',
  hr: 'HelmRelease', hpa: 'HorizontalPodAutoscaler', ep: 'Endpoints', sa: 'ServiceAccount', rs: 'ReplicaSet', sts: 'StatefulSet', ds: 'DaemonSet',
  no: 'Node', pdb: 'PodDisruptionBudget', ev: 'Event', crd: 'CustomResourceDefinition', ocirepo: 'OCIRepository', gitrepo: 'GitRepository', helmrepo: 'HelmRepository',
}
export const API_GROUPS = {
  Kustomization: 'kustomize.toolkit.fluxcd.io', HelmRelease: 'helm.toolkit.fluxcd.io', OCIRepository: 'source.toolkit.fluxcd.io', GitRepository: 'source.toolkit.fluxcd.io',
  HelmRepository: 'source.toolkit.fluxcd.io', HelmChart: 'source.toolkit.fluxcd.io', Deployment: 'apps', StatefulSet: 'apps', DaemonSet: 'apps', ReplicaSet: 'apps',
  NetworkPolicy: 'networking.k8s.io', HorizontalPodAutoscaler: 'autoscaling', PodDisruptionBudget: 'policy', ServiceMonitor: 'monitoring.coreos.com',
  Certificate: 'cert-manager.io', ClusterIssuer: 'cert-manager.io', Issuer: 'cert-manager.io',
}
/** kinds a Flux/GitOps-aware client waits on; the fake marks them Ready on apply unless told otherwise */
export const READY_KINDS = new Set(['Kustomization', 'HelmRelease', 'OCIRepository', 'GitRepository', 'HelmRepository', 'HelmChart', 'Certificate', 'ClusterIssuer', 'Issuer'])
/** the Ready condition cert-manager sets once an issuer verified its CA / a certificate is issued */
const READY_AS = {
  Certificate: { reason: 'Ready', message: 'Certificate is up to date and has not expired' },
  ClusterIssuer: { reason: 'KeyPairVerified', message: 'Signing CA verified' },
  Issuer: { reason: 'KeyPairVerified', message: 'Signing CA verified' },
}

export function kindMatches(kind, word) {
  const w = word.split('.')[0].toLowerCase()
  const k = kind.toLowerCase()
  const plural = k.endsWith('y') ? `${k.slice(0, -1)}ies` : k.endsWith('s') ? `${k}es` : `${k}s`
  return w === k || w === plural || ALIASES[w] === kind
}

/** "deployments.apps" for messages, as kubectl prints resource names */
export function resourceName(kind) {
  const k = kind.toLowerCase()
  const plural = k.endsWith('y') ? `${k.slice(0, -1)}ies` : k.endsWith('s') ? `${k}es` : `${k}s`
  return API_GROUPS[kind] ? `${plural}.${API_GROUPS[kind]}` : plural
}
export const singularName = (kind) => (API_GROUPS[kind] ? `${kind.toLowerCase()}.${API_GROUPS[kind]}` : kind.toLowerCase())

export function kube(state) {
  state.kube ??= { currentContext: '', contexts: {}, objects: {} }
  return state.kube
}

export function objectsOf(state, context) {
  const k = kube(state)
  k.objects[context] ??= []
  return k.objects[context]
}

export function matchesSelector(labels = {}, selector) {
  if (!selector) return true
  return selector.split(',').every((term) => {
    const t = term.trim()
    let m
    if ((m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(t))) return labels[m[1]] !== m[2]
    if ((m = /^([^=\s]+)\s*==?\s*(.*)$/.exec(t))) return labels[m[1]] === m[2]
    if ((m = /^!(.+)$/.exec(t))) return !(m[1] in labels)
    return t in labels
  })
}

export function parseDocs(text) {
  return YAML.parseAllDocuments(text).map((d) => d.toJSON()).filter((o) => o && typeof o === 'object' && o.kind)
    .flatMap((o) => (o.kind === 'List' ? o.items ?? [] : [o]))
}

export function markReady(state, obj) {
  if (!READY_KINDS.has(obj.kind)) return
  const stuck = (kube(state).stuck ?? []).find((s) => s.kind === obj.kind && s.name === obj.metadata.name && (!s.namespace || s.namespace === obj.metadata.namespace))
  const certManager = READY_AS[obj.kind]
  obj.status = stuck
    ? { conditions: [{ type: 'Ready', status: stuck.status ?? 'False', reason: stuck.reason ?? 'Progressing', message: stuck.message ?? 'Reconciliation in progress' }] }
    : certManager
      ? { conditions: [{ type: 'Ready', status: 'True', ...certManager }] }
      : { conditions: [{ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: 'Applied revision: local@sha256:0000' }], lastAppliedRevision: 'local@sha256:0000' }
}

/** What the API server stores for what was sent: Secret stringData folded into base64 data. */
export function normalize(obj) {
  if (obj.kind === 'Secret' && obj.stringData) {
    obj.data = { ...(obj.data ?? {}) }
    for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v)).toString('base64')
    delete obj.stringData
  }
  return obj
}

export function upsert(state, context, obj, defaultNs = 'default') {
  const list = objectsOf(state, context)
  obj.metadata ??= {}
  if (!CLUSTER_SCOPED.has(obj.kind)) obj.metadata.namespace ??= defaultNs
  normalize(obj)
  const i = list.findIndex((o) => o.kind === obj.kind && o.metadata.name === obj.metadata.name && o.metadata.namespace === obj.metadata.namespace)
  markReady(state, obj)
  if (i === -1) { list.push(obj); return 'created' }
  const same = JSON.stringify(list[i]) === JSON.stringify(obj)
  list[i] = obj
  return same ? 'unchanged' : 'configured'
}
