// Unknown-field detection (`spce:` instead of `spec:`, `readinesProbe:`): the API server drops such fields
// silently (or rejects them under strict field validation), and the kubernetes-models schemas accept them.
// The models' TypeScript declarations do list every field, so we walk each object alongside its declared
// type with the TypeScript compiler API. An object type without properties or index signature (apiextensions
// JSON, e.g. HelmRelease.spec.values) is free-form and not descended into.
// typescript is a devDependency: without it (npm ci --omit=dev) the check is skipped, and we say so.

import type * as TS from 'typescript'
import { fieldPath } from './types.mts'

export interface UnknownField {
  field: string
  message: string
}

export interface FieldChecker {
  /** unknown fields of `doc`, checked against the interface I<Kind> declared in `dts` */
  check(doc: Record<string, unknown>, dts: string, kind: string): UnknownField[]
}

type TsModule = typeof TS

async function loadTypescript(): Promise<TsModule | undefined> {
  try {
    const mod = await import('typescript') as unknown as { default?: TsModule } & TsModule
    return mod.default ?? mod
  } catch {
    return undefined
  }
}

const MAX_DEPTH = 64

const checkers = new Map<string, Promise<FieldChecker | undefined>>()

/** One program over all the declaration files needed; building it costs ~1 s, so it is made once per set of files. */
export function createFieldChecker(dtsFiles: readonly string[]): Promise<FieldChecker | undefined> {
  const roots = [...new Set(dtsFiles)].sort()
  const key = roots.join('\n')
  let p = checkers.get(key)
  if (!p) checkers.set(key, (p = buildChecker(roots)))
  return p
}

async function buildChecker(roots: string[]): Promise<FieldChecker | undefined> {
  const loaded = await loadTypescript()
  if (!loaded) return undefined
  const ts: TsModule = loaded
  const program = ts.createProgram(roots, {
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  })
  const checker = program.getTypeChecker()
  const rootTypes = new Map<string, TS.Type | null>()

  function rootType(dts: string, kind: string): TS.Type | undefined {
    const key = `${dts}\u0000${kind}`
    if (rootTypes.has(key)) return rootTypes.get(key) ?? undefined
    let found: TS.Type | null = null
    const sf = program.getSourceFile(dts)
    const sym = sf && checker.getSymbolAtLocation(sf)
    if (sym) {
      const exp = checker.getExportsOfModule(sym).find((s) => s.name === `I${kind}`)
      if (exp) found = checker.getDeclaredTypeOfSymbol(exp)
    }
    rootTypes.set(key, found)
    return found ?? undefined
  }

  const isAnyLike = (t: TS.Type) => (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0
  const members = (t: TS.Type): TS.Type[] => (t.isUnion() ? t.types : [t])

  function arrayElement(t: TS.Type): TS.Type | undefined {
    for (const m of members(t)) {
      if (checker.isArrayType(m) || checker.isTupleType(m)) {
        const args = checker.getTypeArguments(m as TS.TypeReference)
        if (args[0]) return args[0]
      }
    }
    return undefined
  }

  interface Shape { props: Map<string, TS.Symbol>; index: TS.Type | undefined; freeForm: boolean }

  function shape(t: TS.Type): Shape | undefined {
    const objects = members(t).filter((m) => (m.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(m))
    if (objects.length === 0) return undefined
    const props = new Map<string, TS.Symbol>()
    let index: TS.Type | undefined
    let freeForm = false
    for (const o of objects) {
      const ps = checker.getPropertiesOfType(o)
      for (const p of ps) if (!props.has(p.name)) props.set(p.name, p)
      const idx = checker.getIndexInfosOfType(o).find((i) => (i.keyType.flags & ts.TypeFlags.String) !== 0)
      if (idx) index = idx.type
      if (ps.length === 0 && !idx) freeForm = true
    }
    return { props, index, freeForm }
  }

  function walk(value: unknown, type: TS.Type, path: (string | number)[], out: UnknownField[], depth: number): void {
    if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return
    const t = checker.getNonNullableType(type)
    if (isAnyLike(t)) return
    if (Array.isArray(value)) {
      const el = arrayElement(t)
      if (el) value.forEach((v, i) => walk(v, el, [...path, i], out, depth + 1))
      return
    }
    const s = shape(t)
    if (!s || s.freeForm) return
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const prop = s.props.get(key)
      if (prop) walk(v, checker.getTypeOfSymbol(prop), [...path, key], out, depth + 1)
      else if (s.index) walk(v, s.index, [...path, key], out, depth + 1)
      else out.push({ field: fieldPath([...path, key]), message: `unknown field "${key}"${suggest(key, [...s.props.keys()])}` })
    }
  }

  return {
    check(doc, dts, kind) {
      const t = rootType(dts, kind)
      if (!t) return []
      const out: UnknownField[] = []
      walk(doc, t, [], out, 0)
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
