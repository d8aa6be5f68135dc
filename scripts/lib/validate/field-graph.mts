// The fields every kind declares, read once from the kubernetes-models TypeScript declarations with the
// TypeScript compiler API and turned into plain data (a FieldGraph) that the unknown-field check walks.
// Building the program costs ~1-2 s; the graph is cached (field-cache.mts), so this runs only when the
// installed model packages or the set of kinds change.
// typescript is a devDependency: without it (npm ci --omit=dev) there is no graph, and validate says so.

import path from 'node:path'
import type * as TS from 'typescript'

/**
 * One type as the check sees it. `a`: the element type when the value may be an array. `o`: the object shape
 * (absent for scalars, any/unknown, and free-form objects such as HelmRelease.spec.values): its properties in
 * declaration order and the string index signature, if any. Numbers are indexes into FieldGraph.nodes.
 */
export interface FieldNode {
  a?: number
  o?: { p: [string, number][]; i?: number }
}

export interface FieldGraph {
  /** `<dts>\u0000<Kind>` -> node of the interface I<Kind> declared in that file */
  roots: Record<string, number>
  nodes: FieldNode[]
  /** the .d.ts files the graph was read from (for the cache's fingerprint) */
  sources: string[]
}

export interface FieldRoot {
  /** absolute path of the model's .d.ts */
  dts: string
  kind: string
}

export const rootKey = (r: FieldRoot): string => `${r.dts}\u0000${r.kind}`

type TsModule = typeof TS

export async function loadTypescript(): Promise<TsModule | undefined> {
  try {
    const mod = await import('typescript') as unknown as { default?: TsModule } & TsModule
    return mod.default ?? mod
  } catch {
    return undefined
  }
}

/** The graph of every type reachable from the roots' interfaces; undefined without the typescript package. */
export async function buildFieldGraph(roots: readonly FieldRoot[]): Promise<FieldGraph | undefined> {
  const loaded = await loadTypescript()
  if (!loaded) return undefined
  const ts: TsModule = loaded
  const files = [...new Set(roots.map((r) => r.dts))].sort()
  const program = ts.createProgram(files, {
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    // the declarations use nothing newer than ES5's globals (Array, Date); the default lib (esnext, DOM) is
    // most of the program's size and time
    lib: ['lib.es5.d.ts'],
  })
  const checker = program.getTypeChecker()
  const nodes: FieldNode[] = []
  const ids = new Map<TS.Type, number>()
  const pending: [TS.Type, number][] = []

  const isAnyLike = (t: TS.Type) => (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0
  const members = (t: TS.Type): TS.Type[] => (t.isUnion() ? t.types : [t])

  const id = (t: TS.Type): number => {
    let n = ids.get(t)
    if (n === undefined) {
      n = nodes.length
      nodes.push({})
      ids.set(t, n)
      pending.push([t, n])
    }
    return n
  }

  function describe(type: TS.Type): FieldNode {
    const t = checker.getNonNullableType(type)
    if (isAnyLike(t)) return {}
    const node: FieldNode = {}
    for (const m of members(t)) {
      if (checker.isArrayType(m) || checker.isTupleType(m)) {
        const el = checker.getTypeArguments(m as TS.TypeReference)[0]
        if (el) { node.a = id(el); break }
      }
    }
    const objects = members(t).filter((m) => (m.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(m))
    if (objects.length === 0) return node
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
    if (freeForm) return node
    node.o = { p: [...props].map(([name, sym]) => [name, id(checker.getTypeOfSymbol(sym))]) }
    if (index) node.o.i = id(index)
    return node
  }

  const graph: FieldGraph = { roots: {}, nodes, sources: [] }
  for (const r of roots) {
    const sf = program.getSourceFile(r.dts)
    const sym = sf && checker.getSymbolAtLocation(sf)
    const exp = sym && checker.getExportsOfModule(sym).find((s) => s.name === `I${r.kind}`)
    if (exp) graph.roots[rootKey(r)] = id(checker.getDeclaredTypeOfSymbol(exp))
  }
  for (let next = pending.shift(); next; next = pending.shift()) nodes[next[1]] = describe(next[0])
  graph.sources = program.getSourceFiles().map((f) => path.resolve(f.fileName)).filter((f) => f.includes(`${path.sep}node_modules${path.sep}`)).sort()
  return graph
}
