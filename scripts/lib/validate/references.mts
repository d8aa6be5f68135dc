// Cross-object references, resolved against everything the repository renders: Flux Kustomization paths,
// dependsOn and sources; HelmRelease chart sources, pinned versions and values ConfigMaps; Gateway API
// parents, listeners and backends; the ConfigMaps, Secrets and ServiceAccounts pods use; HPA targets; and
// that every namespace an object lives in is created by the repository (or is a system namespace).

import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { podSpecOf } from './object-checks.mts'
import type { SourcedObject } from './types.mts'

export interface RefFinding {
  object: SourcedObject
  rule: string
  field: string
  message: string
  severity?: 'error' | 'warning'
}

/** Namespaces that exist in every cluster this platform runs on (flux-system: created by `flux install`). */
export const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'flux-system'])

/** The GitRepository `flux bootstrap` (or `flux create source git flux-system`) creates; bootstrap/git uses it. */
export const BOOTSTRAP_SOURCES = new Set(['GitRepository/flux-system/flux-system'])

/** Kinds that are not namespaced (everything else is assumed namespaced). */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass',
  'PriorityClass', 'IngressClass', 'GatewayClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
  'APIService', 'RuntimeClass', 'CSIDriver', 'VolumeAttachment', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
])

const EXACT_SEMVER = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/

export const isNamespaced = (kind: string) => !CLUSTER_SCOPED.has(kind)
export const nsOf = (doc: Record<string, any>) => (isNamespaced(String(doc.kind)) ? (typeof doc.metadata?.namespace === 'string' ? doc.metadata.namespace : 'default') : '')

export class ObjectIndex {
  private byKey = new Map<string, SourcedObject[]>()
  readonly objects: readonly SourcedObject[]
  constructor(objects: readonly SourcedObject[]) {
    this.objects = objects
    for (const o of objects) {
      const k = ObjectIndex.key(String(o.doc.kind), nsOf(o.doc), String(o.doc.metadata?.name))
      const list = this.byKey.get(k) ?? []
      list.push(o)
      this.byKey.set(k, list)
    }
  }
  static key(kind: string, namespace: string, name: string) { return `${kind}/${namespace}/${name}` }
  get(kind: string, namespace: string, name: string): SourcedObject | undefined {
    return this.byKey.get(ObjectIndex.key(kind, isNamespaced(kind) ? namespace : '', name))?.[0]
  }
  has(kind: string, namespace: string, name: string): boolean { return this.get(kind, namespace, name) !== undefined }
  ofKind(kind: string): SourcedObject[] { return this.objects.filter((o) => o.doc.kind === kind) }
}

const arr = (v: unknown): any[] => (Array.isArray(v) ? v : [])

/** Does a Gateway listener hostname admit a route hostname? (`*.example.com` matches any subdomain depth.) */
export function hostnameMatches(listener: string | undefined, route: string): boolean {
  if (!listener) return true
  if (listener === route) return true
  if (listener.startsWith('*.')) return route.endsWith(listener.slice(1)) && route.length > listener.length - 1
  if (route.startsWith('*.')) return listener.endsWith(route.slice(1))
  return false
}

function selectorMatches(selector: Record<string, any> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const e of arr(selector.matchExpressions)) {
    const has = e.key in labels
    const val = labels[e.key]
    const values: string[] = arr(e.values)
    if (e.operator === 'In' && !(has && values.includes(val!))) return false
    if (e.operator === 'NotIn' && has && values.includes(val!)) return false
    if (e.operator === 'Exists' && !has) return false
    if (e.operator === 'DoesNotExist' && has) return false
  }
  return true
}

export function referenceFindings(objects: readonly SourcedObject[], root: string): RefFinding[] {
  const idx = new ObjectIndex(objects)
  const out: RefFinding[] = []
  const add = (object: SourcedObject, rule: string, field: string, message: string, severity: 'error' | 'warning' = 'error') =>
    out.push({ object, rule, field, message, severity })

  const releaseNamespaces = new Set<string>()
  for (const hr of idx.ofKind('HelmRelease')) releaseNamespaces.add(String(hr.doc.spec?.targetNamespace || nsOf(hr.doc)))
  const declaredNamespaces = new Set(idx.ofKind('Namespace').map((n) => String(n.doc.metadata?.name)))
  const namespaceLabels = (ns: string): Record<string, string> => ({
    ...(idx.get('Namespace', '', ns)?.doc.metadata?.labels ?? {}),
    'kubernetes.io/metadata.name': ns,
  })

  for (const o of objects) {
    const d = o.doc
    const kind = String(d.kind)
    const ns = nsOf(d)
    const api = String(d.apiVersion ?? '')

    if (ns && !SYSTEM_NAMESPACES.has(ns) && !declaredNamespaces.has(ns)) {
      add(o, 'ref/namespace', 'metadata.namespace', `namespace "${ns}" is not created by any Namespace object in the repository`)
    }

    if (kind === 'Kustomization' && api.startsWith('kustomize.toolkit.fluxcd.io/')) {
      const p = d.spec?.path
      if (typeof p === 'string') {
        const abs = path.resolve(root, p)
        if (path.relative(root, abs).startsWith('..')) add(o, 'ref/flux-path', 'spec.path', `${p} points outside the repository`)
        else if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) add(o, 'ref/flux-path', 'spec.path', `${p} does not exist in the repository`)
      }
      arr(d.spec?.dependsOn).forEach((dep, i) => {
        const depNs = dep?.namespace ?? ns
        if (!idx.has('Kustomization', depNs, dep?.name)) add(o, 'ref/flux-depends-on', `spec.dependsOn[${i}].name`, `Kustomization ${depNs}/${dep?.name} is not defined in the repository`)
      })
      const src = d.spec?.sourceRef
      if (src?.kind && src?.name) {
        const srcNs = src.namespace ?? ns
        if (!idx.has(src.kind, srcNs, src.name) && !BOOTSTRAP_SOURCES.has(`${src.kind}/${srcNs}/${src.name}`)) {
          add(o, 'ref/flux-source', 'spec.sourceRef', `${src.kind} ${srcNs}/${src.name} is not defined in the repository`)
        }
      }
    }

    if (kind === 'HelmRelease' && api.startsWith('helm.toolkit.fluxcd.io/')) {
      const spec = d.spec ?? {}
      if (spec.chartRef) {
        const ref = spec.chartRef
        const refNs = ref.namespace ?? ns
        const src = idx.get(ref.kind, refNs, ref.name)
        if (!src) add(o, 'ref/helm-source', 'spec.chartRef', `${ref.kind} ${refNs}/${ref.name} is not defined in the repository`)
        else if (ref.kind === 'OCIRepository') {
          const r = src.doc.spec?.ref ?? {}
          if (!r.digest && !(typeof r.tag === 'string' && EXACT_SEMVER.test(r.tag))) {
            add(src, 'flux/pinned-chart', r.semver ? 'spec.ref.semver' : 'spec.ref', `the chart of HelmRelease ${ns}/${d.metadata?.name} must be pinned to an exact version tag or a digest${r.semver ? ` (semver range ${JSON.stringify(r.semver)})` : ''}`)
          }
        }
      } else if (spec.chart?.spec) {
        const cs = spec.chart.spec
        const ref = cs.sourceRef ?? {}
        const refNs = ref.namespace ?? ns
        if (!idx.has(ref.kind, refNs, ref.name)) add(o, 'ref/helm-source', 'spec.chart.spec.sourceRef', `${ref.kind} ${refNs}/${ref.name} is not defined in the repository`)
        if (ref.kind === 'HelmRepository' && !(typeof cs.version === 'string' && EXACT_SEMVER.test(cs.version))) {
          add(o, 'flux/pinned-chart', 'spec.chart.spec.version', cs.version === undefined ? 'chart version is not pinned (defaults to the latest)' : `chart version ${JSON.stringify(cs.version)} is not an exact version`)
        }
      } else {
        add(o, 'ref/helm-source', 'spec', 'needs spec.chart or spec.chartRef')
      }
      arr(spec.valuesFrom).forEach((v, i) => {
        if (v?.optional === true) return
        const target = idx.get(v?.kind, ns, v?.name)
        if (!target) { add(o, 'ref/helm-values', `spec.valuesFrom[${i}].name`, `${v?.kind} ${ns}/${v?.name} is not defined in the repository`); return }
        const key = v.valuesKey ?? 'values.yaml'
        const data = { ...(target.doc.data ?? {}), ...(target.doc.stringData ?? {}) }
        if (!(key in data)) { add(o, 'ref/helm-values', `spec.valuesFrom[${i}].valuesKey`, `${v.kind} ${ns}/${v.name} has no key ${key}`); return }
        if (v.kind === 'ConfigMap' && !v.targetPath) {
          let values: unknown
          try { values = YAML.parse(String(data[key])) } catch { values = undefined }
          if (values !== null && (typeof values !== 'object' || Array.isArray(values))) {
            add(target, 'ref/helm-values', `data[${JSON.stringify(key)}]`, `the values of HelmRelease ${ns}/${d.metadata?.name} must be a YAML mapping`)
          }
        }
      })
      arr(spec.dependsOn).forEach((dep, i) => {
        const depNs = dep?.namespace ?? ns
        if (!idx.has('HelmRelease', depNs, dep?.name)) add(o, 'ref/helm-depends-on', `spec.dependsOn[${i}].name`, `HelmRelease ${depNs}/${dep?.name} is not defined in the repository`)
      })
    }

    if (kind === 'Gateway' && api.startsWith('gateway.networking.k8s.io/')) {
      const cls = d.spec?.gatewayClassName
      if (typeof cls === 'string' && !idx.has('GatewayClass', '', cls)) add(o, 'ref/gateway', 'spec.gatewayClassName', `GatewayClass ${cls} is not defined in the repository`)
    }

    if ((kind === 'HTTPRoute' || kind === 'GRPCRoute') && api.startsWith('gateway.networking.k8s.io/')) {
      const hostnames: string[] = arr(d.spec?.hostnames)
      arr(d.spec?.parentRefs).forEach((pr, i) => {
        if ((pr?.kind ?? 'Gateway') !== 'Gateway') return
        const gwNs = pr.namespace ?? ns
        const gw = idx.get('Gateway', gwNs, pr.name)
        if (!gw) { add(o, 'ref/gateway', `spec.parentRefs[${i}]`, `Gateway ${gwNs}/${pr.name} is not defined in the repository`); return }
        const listeners = arr(gw.doc.spec?.listeners).filter((l) => !pr.sectionName || l?.name === pr.sectionName)
        if (pr.sectionName && listeners.length === 0) { add(o, 'ref/gateway', `spec.parentRefs[${i}].sectionName`, `Gateway ${gwNs}/${pr.name} has no listener named ${pr.sectionName}`); return }
        const admits = listeners.filter((l) => {
          const from = l?.allowedRoutes?.namespaces?.from ?? 'Same'
          if (from === 'Same' && ns !== gwNs) return false
          if (from === 'Selector' && !selectorMatches(l.allowedRoutes.namespaces.selector, namespaceLabels(ns))) return false
          return hostnames.length === 0 || hostnames.some((h) => hostnameMatches(l?.hostname, h))
        })
        if (admits.length === 0) add(o, 'ref/gateway', `spec.parentRefs[${i}]`, `no listener of Gateway ${gwNs}/${pr.name} admits this route (allowedRoutes namespaces or hostnames do not match)`)
      })
      arr(d.spec?.rules).forEach((rule, i) => arr(rule?.backendRefs).forEach((b, j) => {
        if ((b?.kind ?? 'Service') !== 'Service' || (b?.group ?? '') !== '') return
        const bNs = b.namespace ?? ns
        // Services in a namespace a HelmRelease installs into may come from the chart, which is not rendered here.
        if (releaseNamespaces.has(bNs)) return
        const svc = idx.get('Service', bNs, b.name)
        if (!svc) { add(o, 'ref/backend', `spec.rules[${i}].backendRefs[${j}]`, `Service ${bNs}/${b.name} is not defined in the repository`); return }
        if (b.port !== undefined && !arr(svc.doc.spec?.ports).some((p) => p?.port === b.port)) add(o, 'ref/backend', `spec.rules[${i}].backendRefs[${j}].port`, `Service ${bNs}/${b.name} has no port ${b.port}`)
      }))
    }

    if (kind === 'HorizontalPodAutoscaler') {
      const t = d.spec?.scaleTargetRef
      if (t?.kind && t?.name && !idx.has(t.kind, ns, t.name)) add(o, 'ref/workload', 'spec.scaleTargetRef', `${t.kind} ${ns}/${t.name} is not defined in the repository`)
    }

    const pod = podSpecOf(d)
    if (pod && !releaseNamespaces.has(ns)) {
      const p = pod.path
      const s = pod.spec
      const need = (k: 'ConfigMap' | 'Secret' | 'ServiceAccount', name: unknown, field: string, optional?: unknown) => {
        if (optional === true || typeof name !== 'string') return
        if (!idx.has(k, ns, name)) add(o, 'ref/workload', field, `${k} ${ns}/${name} is not defined in the repository`)
      }
      const sa = s.serviceAccountName ?? s.serviceAccount
      if (typeof sa === 'string' && sa !== 'default') need('ServiceAccount', sa, `${p}.serviceAccountName`)
      arr(s.volumes).forEach((v, i) => {
        if (v?.configMap) need('ConfigMap', v.configMap.name, `${p}.volumes[${i}].configMap.name`, v.configMap.optional)
        if (v?.secret) need('Secret', v.secret.secretName, `${p}.volumes[${i}].secret.secretName`, v.secret.optional)
        arr(v?.projected?.sources).forEach((src, j) => {
          if (src?.configMap) need('ConfigMap', src.configMap.name, `${p}.volumes[${i}].projected.sources[${j}].configMap.name`, src.configMap.optional)
          if (src?.secret) need('Secret', src.secret.name, `${p}.volumes[${i}].projected.sources[${j}].secret.name`, src.secret.optional)
        })
      })
      for (const group of ['initContainers', 'containers'] as const) {
        arr(s[group]).forEach((c, i) => {
          const base = `${p}.${group}[${i}]`
          arr(c?.envFrom).forEach((e, j) => {
            if (e?.configMapRef) need('ConfigMap', e.configMapRef.name, `${base}.envFrom[${j}].configMapRef.name`, e.configMapRef.optional)
            if (e?.secretRef) need('Secret', e.secretRef.name, `${base}.envFrom[${j}].secretRef.name`, e.secretRef.optional)
          })
          arr(c?.env).forEach((e, j) => {
            const cm = e?.valueFrom?.configMapKeyRef
            const sec = e?.valueFrom?.secretKeyRef
            if (cm) need('ConfigMap', cm.name, `${base}.env[${j}].valueFrom.configMapKeyRef.name`, cm.optional)
            if (sec) need('Secret', sec.name, `${base}.env[${j}].valueFrom.secretKeyRef.name`, sec.optional)
          })
        })
      }
    }
  }

  // dependsOn cycles between Flux Kustomizations never become Ready
  const kustomizations = idx.ofKind('Kustomization').filter((o) => String(o.doc.apiVersion).startsWith('kustomize.toolkit.fluxcd.io/'))
  const edges = new Map<string, string[]>()
  const keyOf = (o: SourcedObject) => `${nsOf(o.doc)}/${o.doc.metadata?.name}`
  for (const k of kustomizations) edges.set(keyOf(k), arr(k.doc.spec?.dependsOn).map((dep) => `${dep?.namespace ?? nsOf(k.doc)}/${dep?.name}`))
  const reported = new Set<string>()
  for (const k of kustomizations) {
    const start = keyOf(k)
    const stack: [string, string[]][] = [[start, [start]]]
    const seen = new Set<string>()
    while (stack.length) {
      const [cur, chain] = stack.pop()!
      for (const next of edges.get(cur) ?? []) {
        if (next === start) {
          const cycle = [...chain, next].join(' -> ')
          if (!reported.has(start)) { reported.add(start); add(k, 'ref/flux-depends-on', 'spec.dependsOn', `dependency cycle: ${cycle}`) }
        } else if (!seen.has(next)) { seen.add(next); stack.push([next, [...chain, next]]) }
      }
    }
  }
  return out
}
