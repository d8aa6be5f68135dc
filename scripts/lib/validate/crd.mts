// Kinds without a kubernetes-models package are still validated when the repository itself ships their
// CustomResourceDefinition: the CRD's openAPIV3Schema is a structural schema, checked here the way the API
// server would (types, enums, patterns, bounds, required, unknown fields pruned unless preserved).

import { fieldPath } from './types.mts'

export interface CrdSchemaError {
  field: string
  message: string
}

type Schema = Record<string, any>

/** group/version/kind -> openAPIV3Schema, from CustomResourceDefinition objects (apiextensions.k8s.io/v1). */
export function indexCrds(docs: readonly Record<string, any>[]): Map<string, Schema> {
  const out = new Map<string, Schema>()
  for (const d of docs) {
    if (d.kind !== 'CustomResourceDefinition' || d.apiVersion !== 'apiextensions.k8s.io/v1') continue
    const group = d.spec?.group
    const kind = d.spec?.names?.kind
    if (typeof group !== 'string' || typeof kind !== 'string') continue
    for (const v of Array.isArray(d.spec?.versions) ? d.spec.versions : []) {
      const schema = v?.schema?.openAPIV3Schema
      if (typeof v?.name === 'string' && v.served !== false && schema && typeof schema === 'object') out.set(crdKey(`${group}/${v.name}`, kind), schema)
    }
  }
  return out
}

export const crdKey = (apiVersion: string, kind: string) => `${apiVersion}\u0000${kind}`

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v

function typeMatches(v: unknown, type: string): boolean {
  const t = typeOf(v)
  return t === type || (type === 'number' && t === 'integer')
}

export function validateAgainstCrd(doc: Record<string, unknown>, schema: Schema): CrdSchemaError[] {
  const out: CrdSchemaError[] = []
  walk(doc, schema, [], out, true)
  return out
}

function walk(v: unknown, s: Schema, path: (string | number)[], out: CrdSchemaError[], root = false): void {
  const at = fieldPath(path)
  const err = (message: string) => out.push({ field: at, message })
  if (v === null) {
    if (!s.nullable) err('must not be null')
    return
  }
  if (s['x-kubernetes-int-or-string']) {
    if (!typeMatches(v, 'integer') && !typeMatches(v, 'string')) err('must be an integer or a string')
    return
  }
  if (typeof s.type === 'string' && !typeMatches(v, s.type)) {
    err(`must be ${s.type === 'integer' || s.type === 'array' || s.type === 'object' ? 'an' : 'a'} ${s.type}`)
    return
  }
  if (Array.isArray(s.enum) && !s.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(v))) {
    err(`must be one of ${s.enum.map((e: unknown) => JSON.stringify(e)).join(', ')}`)
  }
  if (typeof v === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) err(`must match ${s.pattern}`)
    if (typeof s.minLength === 'number' && v.length < s.minLength) err(`must be at least ${s.minLength} characters`)
    if (typeof s.maxLength === 'number' && v.length > s.maxLength) err(`must be at most ${s.maxLength} characters`)
  }
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum) err(`must be >= ${s.minimum}`)
    if (typeof s.maximum === 'number' && v > s.maximum) err(`must be <= ${s.maximum}`)
  }
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems) err(`must have at least ${s.minItems} items`)
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) err(`must have at most ${s.maxItems} items`)
    if (s.items && typeof s.items === 'object') v.forEach((item, i) => walk(item, s.items, [...path, i], out))
    return
  }
  if (typeof v === 'object') {
    const obj = v as Record<string, unknown>
    for (const r of Array.isArray(s.required) ? s.required : []) {
      if (!(r in obj)) out.push({ field: fieldPath([...path, r]), message: 'is required' })
    }
    const props: Record<string, Schema> = s.properties && typeof s.properties === 'object' ? s.properties : {}
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true
    for (const [key, value] of Object.entries(obj)) {
      // apiVersion/kind/metadata of the object itself are validated by the API machinery, not the CRD schema
      if (root && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue
      if (props[key]) walk(value, props[key]!, [...path, key], out)
      else if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(value, s.additionalProperties, [...path, key], out)
      else if (!preserve && s.additionalProperties !== true) out.push({ field: fieldPath([...path, key]), message: `unknown field "${key}"` })
    }
  }
}
