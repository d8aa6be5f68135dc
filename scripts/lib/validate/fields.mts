// Unknown-field detection (`spce:` instead of `spec:`, `readinesProbe:`): the API server drops such fields
// silently (or rejects them under strict field validation), and the kubernetes-models schemas accept them.
// The models' TypeScript declarations do list every field: field-graph.mts reads them once into plain data
// (cached on disk by field-cache.mts) and this walks each object alongside its declared type. An object type
// without properties or index signature (apiextensions JSON, e.g. HelmRelease.spec.values) is free-form and
// not descended into.

import { readFieldCache, writeFieldCache, DEFAULT_CACHE_FILE } from './field-cache.mts'
import { buildFieldGraph, rootKey, type FieldGraph, type FieldRoot } from './field-graph.mts'
import { fieldPath } from './types.mts'

export type { FieldRoot } from './field-graph.mts'

export interface UnknownField {
  field: string
  message: string
}

export interface FieldChecker {
  /** unknown fields of `doc`, checked against the interface I<Kind> declared in `dts` */
  check(doc: Record<string, unknown>, dts: string, kind: string): UnknownField[]
  /** where the field graph came from: the on-disk cache, or the TypeScript declarations (built, then cached) */
  readonly source: 'cache' | 'typescript'
}

export interface FieldCheckerOptions {
  /** the cache file; false: neither read nor write one (default: node_modules/.cache/...) */
  cacheFile?: string | false
}

const MAX_DEPTH = 64

const checkers = new Map<string, Promise<FieldChecker | undefined>>()

/**
 * A checker for these kinds. The graph comes from the cache when it covers them; otherwise the TypeScript
 * program is built (~1-2 s) over these kinds plus those already cached, and the cache rewritten. Undefined when
 * the graph is neither cached nor buildable (no typescript package).
 */
export function createFieldChecker(roots: readonly FieldRoot[], options: FieldCheckerOptions = {}): Promise<FieldChecker | undefined> {
  const cacheFile = options.cacheFile ?? DEFAULT_CACHE_FILE
  const wanted = [...new Map(roots.map((r) => [rootKey(r), r])).values()].sort((a, b) => rootKey(a).localeCompare(rootKey(b)))
  const key = `${cacheFile}\n${wanted.map(rootKey).join('\n')}`
  let p = checkers.get(key)
  if (!p) checkers.set(key, (p = makeChecker(wanted, cacheFile)))
  return p
}

async function makeChecker(roots: FieldRoot[], cacheFile: string | false): Promise<FieldChecker | undefined> {
  const cached = cacheFile ? readFieldCache(cacheFile) : undefined
  if (cached && roots.every((r) => rootKey(r) in cached.roots)) return walker(cached, 'cache')
  // keep what the cache knew: another repository (or a test) may need those kinds next
  const known = cached ? Object.keys(cached.roots).map((k) => { const [dts, kind] = k.split('\u0000') as [string, string]; return { dts, kind } }) : []
  const graph = await buildFieldGraph([...roots, ...known.filter((k) => !roots.some((r) => rootKey(r) === rootKey(k)))])
  if (!graph) return cached ? walker(cached, 'cache') : undefined
  if (cacheFile) writeFieldCache(cacheFile, graph)
  return walker(graph, 'typescript')
}

function walker(graph: FieldGraph, source: FieldChecker['source']): FieldChecker {
  const { nodes } = graph
  // property lookups by name, made once per node that is reached
  const props = new Map<number, Map<string, number>>()
  const propsOf = (n: number) => {
    let m = props.get(n)
    if (!m) props.set(n, (m = new Map(nodes[n]!.o!.p)))
    return m
  }

  function walk(value: unknown, n: number, path: (string | number)[], out: UnknownField[], depth: number): void {
    if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return
    const node = nodes[n]
    if (!node) return
    if (Array.isArray(value)) {
      if (node.a !== undefined) value.forEach((v, i) => walk(v, node.a!, [...path, i], out, depth + 1))
      return
    }
    if (!node.o) return
    const known = propsOf(n)
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const prop = known.get(key)
      if (prop !== undefined) walk(v, prop, [...path, key], out, depth + 1)
      else if (node.o.i !== undefined) walk(v, node.o.i, [...path, key], out, depth + 1)
      else out.push({ field: fieldPath([...path, key]), message: `unknown field "${key}"${suggest(key, node.o.p.map(([name]) => name))}` })
    }
  }

  return {
    source,
    check(doc, dts, kind) {
      const root = graph.roots[rootKey({ dts, kind })]
      if (root === undefined) return []
      const out: UnknownField[] = []
      walk(doc, root, [], out, 0)
      return out
    },
  }
}

/** " (did you mean "spec"?)" for a near miss, else "". */
export function suggest(key: string, known: readonly string[]): string {
  let best: string | undefined
  let bestD = Infinity
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase())
    if (d < bestD) { bestD = d; best = k }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(key.length / 3)) ? ` (did you mean "${best}"?)` : ''
}

/** Optimal string alignment distance: edits plus adjacent transpositions ("spce" -> "spec" is 1). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}
