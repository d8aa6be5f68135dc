// Checks on single objects that the OpenAPI schemas do not express: name and label syntax (DNS-1123,
// qualified names), port names, and Flux durations (the CRDs' pattern is not in the generated models).

import { isFluxDuration } from './duration.mts'

export interface ObjectFinding {
  rule: string
  field: string
  message: string
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s)
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s)
}

/** label/annotation key: [prefix/]name, prefix a DNS subdomain, name <= 63 chars */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/')
  if (parts.length > 2) return 'may contain at most one "/"'
  const [prefix, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [undefined, parts[0]!]
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return `prefix "${prefix}" must be a DNS-1123 subdomain`
  if (!name || name.length > 63 || !QUALIFIED_NAME.test(name)) return 'name part must be 1-63 alphanumerics, "-", "_" or ".", starting and ending alphanumeric'
  return undefined
}

export function labelValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string (quote numbers and booleans)'
  if (value.length > 63 || !LABEL_VALUE.test(value)) return 'must be at most 63 alphanumerics, "-", "_" or ".", starting and ending alphanumeric'
  return undefined
}

export function portNameProblem(name: string): string | undefined {
  if (name.length > 15) return 'must be at most 15 characters'
  if (!IANA_SVC_NAME.test(name) || name.includes('--')) return 'must be lowercase alphanumerics and "-", starting and ending alphanumeric, no "--"'
  if (!/[a-z]/.test(name)) return 'must contain at least one letter'
  return undefined
}

/** Kinds whose names end up in DNS labels or hostnames and so may not contain dots. */
const LABEL_NAMED_KINDS = new Set(['Namespace', 'Service'])

/** Kinds whose pod templates we check, and where the pod spec lives. */
export const POD_SPEC_PATH: Record<string, readonly string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
}

export function podSpecOf(doc: Record<string, any>): { spec: Record<string, any>; path: string } | undefined {
  const p = POD_SPEC_PATH[String(doc.kind)]
  if (!p) return undefined
  let cur: any = doc
  for (const k of p) cur = cur?.[k]
  return cur && typeof cur === 'object' ? { spec: cur, path: p.join('.') } : undefined
}

const DURATION_KEYS = new Set(['interval', 'timeout', 'retryInterval'])

function fluxDurations(value: unknown, path: string, out: ObjectFinding[], depth = 0): void {
  if (depth > 8 || !value || typeof value !== 'object') return
  if (Array.isArray(value)) { value.forEach((v, i) => fluxDurations(v, `${path}[${i}]`, out, depth + 1)); return }
  for (const [k, v] of Object.entries(value)) {
    const p = `${path}.${k}`
    // spec.values is the chart's business, not Flux's
    if (k === 'values' && depth === 0) continue
    if (DURATION_KEYS.has(k) && (typeof v === 'string' || typeof v === 'number') && !isFluxDuration(v)) {
      out.push({ rule: 'flux/duration', field: p, message: `${JSON.stringify(v)} is not a duration Flux accepts (e.g. 30s, 5m, 1h30m)` })
    } else fluxDurations(v, p, out, depth + 1)
  }
}

/** Flux's pre-GA APIs: deprecated, removed from recent Flux releases, rewritten by `flux migrate`. */
const FLUX_BETA = /^(source|kustomize|helm|notification|image)\.toolkit\.fluxcd\.io\/v\d+beta\d+$/

export function objectFindings(doc: Record<string, any>): ObjectFinding[] {
  const out: ObjectFinding[] = []
  const kind = String(doc.kind ?? '')
  const md = doc.metadata
  const name = md?.name
  if (FLUX_BETA.test(String(doc.apiVersion))) {
    out.push({ rule: 'flux/deprecated-api', field: 'apiVersion', message: `${String(doc.apiVersion)} is a deprecated Flux API; use the GA version (flux migrate rewrites it)` })
  }
  if (typeof name !== 'string' || !name) {
    if (typeof md?.generateName !== 'string') out.push({ rule: 'names/missing', field: 'metadata.name', message: 'is required' })
  }
  if (typeof name === 'string') {
    const label = LABEL_NAMED_KINDS.has(kind)
    if (label ? !isDns1123Label(name) : !isDns1123Subdomain(name)) {
      out.push({ rule: 'names/dns-1123', field: 'metadata.name', message: `"${name}" is not a valid ${label ? 'DNS-1123 label (lowercase alphanumerics and "-", at most 63, no dots)' : 'DNS-1123 subdomain (lowercase alphanumerics, "-" and ".", at most 253)'}` })
    }
  }
  if (typeof md?.namespace === 'string' && !isDns1123Label(md.namespace)) {
    out.push({ rule: 'names/dns-1123', field: 'metadata.namespace', message: `"${md.namespace}" is not a valid namespace name (DNS-1123 label)` })
  }
  const labelMaps: [string, unknown][] = [['metadata.labels', md?.labels]]
  const pod = podSpecOf(doc)
  if (pod && kind !== 'Pod') labelMaps.push([`${pod.path.replace(/\.spec$/, '')}.metadata.labels`, pod.path.split('.').slice(0, -1).reduce((o: any, k) => o?.[k], doc)?.metadata?.labels])
  for (const [path, labels] of labelMaps) {
    if (!labels || typeof labels !== 'object') continue
    for (const [k, v] of Object.entries(labels)) {
      const kp = qualifiedNameProblem(k)
      if (kp) out.push({ rule: 'names/label', field: `${path}[${JSON.stringify(k)}]`, message: `label key ${kp}` })
      const vp = labelValueProblem(v)
      if (vp) out.push({ rule: 'names/label', field: `${path}[${JSON.stringify(k)}]`, message: `label value ${JSON.stringify(v)} ${vp}` })
    }
  }
  if (md?.annotations && typeof md.annotations === 'object') {
    for (const k of Object.keys(md.annotations)) {
      const kp = qualifiedNameProblem(k)
      if (kp) out.push({ rule: 'names/annotation', field: `metadata.annotations[${JSON.stringify(k)}]`, message: `annotation key ${kp}` })
    }
  }
  if (pod) {
    for (const group of ['initContainers', 'containers'] as const) {
      const list = Array.isArray(pod.spec[group]) ? pod.spec[group] : []
      list.forEach((c: any, i: number) => {
        const base = `${pod.path}.${group}[${i}]`
        if (typeof c?.name === 'string' && !isDns1123Label(c.name)) out.push({ rule: 'names/dns-1123', field: `${base}.name`, message: `container name "${c.name}" is not a DNS-1123 label` })
        ;(Array.isArray(c?.ports) ? c.ports : []).forEach((p: any, j: number) => {
          if (typeof p?.name === 'string') {
            const pp = portNameProblem(p.name)
            if (pp) out.push({ rule: 'names/port', field: `${base}.ports[${j}].name`, message: `port name "${p.name}" ${pp}` })
          }
        })
      })
    }
  }
  if (kind === 'Service') {
    ;(Array.isArray(doc.spec?.ports) ? doc.spec.ports : []).forEach((p: any, j: number) => {
      if (typeof p?.name === 'string' && !isDns1123Label(p.name)) {
        out.push({ rule: 'names/port', field: `spec.ports[${j}].name`, message: `Service port name "${p.name}" is not a DNS-1123 label` })
      }
    })
  }
  if (/\.toolkit\.fluxcd\.io\//.test(String(doc.apiVersion ?? ''))) fluxDurations(doc.spec, 'spec', out)
  return out
}
