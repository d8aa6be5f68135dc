// Schema validation of rendered objects with the kubernetes-models packages (core kinds, Flux, Gateway API,
// Prometheus Operator, cert-manager). Each model carries the OpenAPI schema of its kind compiled to a validator; we map its
// errors to field paths. Unknown fields are checked separately (fields.mts): these schemas allow them.

import { fieldPath } from './types.mts'

export interface KindModel {
  apiVersion: string
  kind: string
  /** module specifier the model was loaded from */
  specifier: string
  /** absolute path of the model's .d.ts (used for the unknown-field check) */
  dts: string | undefined
  validate(doc: Record<string, unknown>): SchemaError[]
}

export interface SchemaError {
  field: string
  message: string
}

const VERSION = /^v\d+((alpha|beta)\d+)?$/
const KIND = /^[A-Z][A-Za-z0-9]*$/
const GROUP = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

/** Module specifiers that may hold the model of apiVersion/kind, most likely first. */
export function modelSpecifiers(apiVersion: string, kind: string): string[] {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) as [string, string] : ['', apiVersion]
  if (!VERSION.test(version) || !KIND.test(kind) || (group && !GROUP.test(group))) return []
  if (!group) return [`kubernetes-models/${version}/${kind}`]
  if (group.endsWith('.toolkit.fluxcd.io')) return [`@kubernetes-models/flux-cd/${group}/${version}/${kind}`]
  if (group === 'gateway.networking.k8s.io' || group === 'gateway.networking.x-k8s.io') return [`@kubernetes-models/gateway-api/${group}/${version}/${kind}`]
  if (group === 'monitoring.coreos.com') return [`@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`]
  if (group === 'cert-manager.io' || group === 'acme.cert-manager.io') return [`@kubernetes-models/cert-manager/${group}/${version}/${kind}`]
  return [`kubernetes-models/${group}/${version}/${kind}`]
}

interface AjvError { instancePath?: string; keyword?: string; message?: string; params?: Record<string, unknown> }

/** "/spec/template/spec/containers/0/image" -> spec.template.spec.containers[0].image */
export function pointerToField(pointer: string): string {
  if (!pointer) return ''
  const segs = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  return fieldPath(segs.map((s) => (/^\d+$/.test(s) ? Number(s) : s)))
}

export function ajvErrorsToSchemaErrors(errors: AjvError[]): SchemaError[] {
  const out: SchemaError[] = []
  const seen = new Set<string>()
  for (const e of errors) {
    let field = pointerToField(e.instancePath ?? '')
    let message = e.message ?? e.keyword ?? 'is invalid'
    if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string') {
      field = field ? `${field}.${e.params.missingProperty}` : e.params.missingProperty
      message = 'is required'
    } else if (e.keyword === 'enum' && Array.isArray(e.params?.allowedValues)) {
      message = `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
    }
    const key = `${field}\u0000${message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ field, message })
  }
  return out
}

const cache = new Map<string, Promise<KindModel | undefined>>()

async function load(apiVersion: string, kind: string): Promise<KindModel | undefined> {
  for (const specifier of modelSpecifiers(apiVersion, kind)) {
    let url: string
    try {
      url = import.meta.resolve(specifier)
    } catch {
      continue
    }
    let mod: Record<string, unknown>
    try {
      mod = await import(specifier) as Record<string, unknown>
    } catch {
      continue
    }
    const Ctor = mod[kind] as (new (data: unknown) => { validate(): void }) & { apiVersion?: string } | undefined
    if (typeof Ctor !== 'function' || Ctor.apiVersion !== apiVersion) continue
    const dts = url.startsWith('file:') ? new URL(url).pathname.replace(/\.js$/, '.d.ts') : undefined
    return {
      apiVersion,
      kind,
      specifier,
      dts,
      validate(doc) {
        try {
          new Ctor(doc).validate()
          return []
        } catch (e) {
          const errors = (e as { errors?: AjvError[] }).errors
          if (Array.isArray(errors)) return ajvErrorsToSchemaErrors(errors)
          return [{ field: '', message: (e as Error).message }]
        }
      },
    }
  }
  return undefined
}

/** The model of apiVersion/kind, or undefined when no installed package knows the kind. */
export function loadModel(apiVersion: string, kind: string): Promise<KindModel | undefined> {
  const key = `${apiVersion}\u0000${kind}`
  let p = cache.get(key)
  if (!p) cache.set(key, (p = load(apiVersion, kind)))
  return p
}
