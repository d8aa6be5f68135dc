// The diff a promotion shows: the rendered objects of the target overlay at the target's current digest vs the new
// one, matched by kind/namespace/name, compared field by field (arrays of named items, like containers, by name).
// Secret values are never shown, only that they changed. Pure.

type Obj = Record<string, any>

export interface FieldChange {
  path: string
  /** absent: the field is new */
  before?: unknown
  /** absent: the field is gone */
  after?: unknown
  /** a Secret's data: values withheld */
  hidden?: boolean
}

export interface ObjectDiff {
  kind: string
  namespace: string
  name: string
  status: 'added' | 'removed' | 'changed'
  changes: FieldChange[]
}

export interface ObjectsDiff {
  objects: ObjectDiff[]
  added: number
  removed: number
  changed: number
  unchanged: number
}

const key = (o: Obj) => `${o.kind}\u0000${o.metadata?.namespace ?? ''}\u0000${o.metadata?.name ?? ''}`

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Leaves of a value by path: "spec.template.spec.containers[demo].image", "spec.ports[0].port". */
export function flatten(value: unknown, prefix = '', out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (Array.isArray(value)) {
    if (value.length === 0) { out.set(prefix, []); return out }
    const names = value.map((v) => (isObject(v) && typeof v.name === 'string' ? v.name : undefined))
    const byName = names.every((n) => n !== undefined) && new Set(names).size === names.length
    value.forEach((v, i) => flatten(v, `${prefix}[${byName ? names[i] : i}]`, out))
    return out
  }
  if (isObject(value)) {
    const keys = Object.keys(value).sort()
    if (keys.length === 0 && prefix) { out.set(prefix, {}); return out }
    for (const k of keys) flatten(value[k], prefix ? `${prefix}.${k}` : k, out)
    return out
  }
  out.set(prefix, value)
  return out
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
const secretPath = (kind: string, path: string) => kind === 'Secret' && /^(data|stringData)(\.|$)/.test(path)

function fieldChanges(before: Obj, after: Obj): FieldChange[] {
  const a = flatten(before)
  const b = flatten(after)
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort()
  const out: FieldChange[] = []
  for (const p of paths) {
    const had = a.has(p)
    const has = b.has(p)
    if (had && has && same(a.get(p), b.get(p))) continue
    if (secretPath(String(after.kind ?? before.kind), p)) { out.push({ path: p, hidden: true }); continue }
    out.push({ path: p, ...(had ? { before: a.get(p) } : {}), ...(has ? { after: b.get(p) } : {}) })
  }
  return out
}

export function diffObjects(before: Obj[], after: Obj[]): ObjectsDiff {
  const old = new Map(before.filter((o) => o?.kind).map((o) => [key(o), o]))
  const now = new Map(after.filter((o) => o?.kind).map((o) => [key(o), o]))
  const objects: ObjectDiff[] = []
  let unchanged = 0
  const id = (o: Obj) => ({ kind: String(o.kind), namespace: String(o.metadata?.namespace ?? ''), name: String(o.metadata?.name ?? '') })
  for (const [k, o] of now) {
    const prev = old.get(k)
    if (!prev) { objects.push({ ...id(o), status: 'added', changes: [] }); continue }
    const changes = fieldChanges(prev, o)
    if (changes.length) objects.push({ ...id(o), status: 'changed', changes })
    else unchanged++
  }
  for (const [k, o] of old) if (!now.has(k)) objects.push({ ...id(o), status: 'removed', changes: [] })
  objects.sort((x, y) => x.kind.localeCompare(y.kind) || x.namespace.localeCompare(y.namespace) || x.name.localeCompare(y.name))
  const count = (s: ObjectDiff['status']) => objects.filter((o) => o.status === s).length
  return { objects, added: count('added'), removed: count('removed'), changed: count('changed'), unchanged }
}

function show(v: unknown): string {
  if (v === undefined) return '(none)'
  if (typeof v === 'string' && v.includes('\n')) return `(${v.split('\n').length} lines)`
  const s = JSON.stringify(v)
  return s.length > 80 ? `${s.slice(0, 79)}…` : s
}

const label = (o: ObjectDiff) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`

export function diffSummary(d: ObjectsDiff): string {
  return `${d.changed} changed, ${d.added} added, ${d.removed} removed, ${d.unchanged} unchanged`
}

/** Readable lines: "~ Deployment demo-staging/demo" with one indented line per changed field, "+"/"-" for whole objects. */
export function renderDiff(d: ObjectsDiff): string[] {
  const lines: string[] = []
  for (const o of d.objects) {
    lines.push(`  ${o.status === 'added' ? '+' : o.status === 'removed' ? '-' : '~'} ${label(o)}`)
    for (const c of o.changes) lines.push(`      ${c.path}: ${c.hidden ? '(secret value changed, not shown)' : `${show(c.before)} → ${show(c.after)}`}`)
  }
  if (!d.objects.length) lines.push('  no object changes')
  lines.push(`  ${diffSummary(d)}`)
  return lines
}
