// Readiness of the Flux objects, in dependency order: which Kustomization/HelmRelease is Ready, which one is
// waiting on what (dependsOn, its source, the objects it applied), and which one is the root cause when the
// wait runs out of time. Pure: Kubernetes objects in, verdict and progress text out.

type Obj = Record<string, any>

export type TrackedState = 'ready' | 'progressing' | 'blocked' | 'failed' | 'suspended' | 'missing'

export interface Tracked {
  /** "Kustomization/flux-system/apps-dev" */
  id: string
  kind: string
  namespace: string
  name: string
  state: TrackedState
  /** the controller's message (Ready condition), or why we are waiting */
  message: string
  /** ids of dependencies (dependsOn, source) that are not ready */
  waitingOn: string[]
  /** id of the Kustomization that applied this object (labels kustomize.toolkit.fluxcd.io/*) */
  parent?: string
}

export interface Assessment {
  tracked: Tracked[]
  done: boolean
  ready: number
  total: number
}

export const WAITED_KINDS = ['Kustomization', 'HelmRelease'] as const
const SOURCE_KINDS = new Set(['OCIRepository', 'GitRepository', 'HelmRepository', 'HelmChart', 'Bucket'])

export const objectId = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`
export const shortId = (id: string) => {
  const [kind, ns, name] = id.split('/')
  const k = kind === 'Kustomization' ? 'ks' : kind === 'HelmRelease' ? 'hr' : kind?.toLowerCase()
  return ns === 'flux-system' ? `${k}/${name}` : `${k}/${ns}/${name}`
}

const condition = (o: Obj, type: string): Obj | undefined => ((o.status?.conditions ?? []) as Obj[]).find((c) => c.type === type)

function generationObserved(o: Obj): boolean {
  const gen = o.metadata?.generation
  const seen = o.status?.observedGeneration
  return gen === undefined || seen === undefined || seen >= gen
}

function sourceId(o: Obj): string | undefined {
  const ref = o.kind === 'Kustomization' ? o.spec?.sourceRef : undefined
  if (!ref?.kind || !ref?.name) return undefined
  return objectId(ref.kind, ref.namespace ?? o.metadata?.namespace ?? 'default', ref.name)
}

function depIds(o: Obj): string[] {
  const ns = o.metadata?.namespace ?? 'default'
  return ((o.spec?.dependsOn ?? []) as Obj[]).map((d) => objectId(o.kind, d.namespace ?? ns, d.name))
}

function sourceReady(src: Obj | undefined): boolean {
  return !src || condition(src, 'Ready')?.status === 'True'
}

/**
 * Assess every Kustomization and HelmRelease. `expectedRoots` are Kustomization ids that must exist (the
 * bootstrap's roots): until the controller has them, they count as "missing".
 */
export function assess(objects: Obj[], expectedRoots: string[] = []): Assessment {
  const byId = new Map<string, Obj>()
  for (const o of objects) byId.set(objectId(o.kind, o.metadata?.namespace ?? 'default', o.metadata?.name), o)
  const waited = objects.filter((o) => (WAITED_KINDS as readonly string[]).includes(o.kind))
  const state = new Map<string, Tracked>()

  const evaluate = (o: Obj, chain: Set<string>): Tracked => {
    const ns = o.metadata?.namespace ?? 'default'
    const id = objectId(o.kind, ns, o.metadata?.name)
    const known = state.get(id)
    if (known) return known
    const ready = condition(o, 'Ready')
    const stalled = condition(o, 'Stalled')
    const parentName = o.metadata?.labels?.['kustomize.toolkit.fluxcd.io/name']
    const parent = parentName ? objectId('Kustomization', o.metadata?.labels?.['kustomize.toolkit.fluxcd.io/namespace'] ?? 'flux-system', parentName) : undefined
    const t: Tracked = { id, kind: o.kind, namespace: ns, name: o.metadata?.name, state: 'progressing', message: '', waitingOn: [], parent }
    chain.add(id)
    const deps: string[] = []
    for (const d of depIds(o)) {
      const dep = byId.get(d)
      if (!dep) { deps.push(d); continue }
      if (chain.has(d)) continue
      if (evaluate(dep, chain).state !== 'ready' && evaluate(dep, chain).state !== 'suspended') deps.push(d)
    }
    const srcId = sourceId(o)
    const src = srcId ? byId.get(srcId) : undefined
    if (srcId && src && !sourceReady(src)) deps.push(srcId)
    const srcRevision = src?.status?.artifact?.revision as string | undefined
    const applied = o.status?.lastAppliedRevision as string | undefined
    const revisionOk = o.kind !== 'Kustomization' || !srcRevision || !applied || applied === srcRevision

    if (o.spec?.suspend === true) {
      t.state = 'suspended'
      t.message = 'suspended (spec.suspend: true): not waiting for it'
    } else if (ready?.status === 'True' && generationObserved(o) && revisionOk) {
      t.state = 'ready'
      t.message = ready.message ?? ''
    } else if (stalled?.status === 'True') {
      t.state = 'failed'
      t.message = stalled.message ?? ready?.message ?? 'stalled'
    } else if (deps.length) {
      t.state = 'blocked'
      t.waitingOn = deps
      t.message = `waiting for ${deps.map(shortId).join(', ')}`
    } else {
      t.state = 'progressing'
      t.message = !revisionOk ? `applying revision ${srcRevision}` : ready?.message ?? 'waiting for the controller to reconcile it'
    }
    state.set(id, t)
    chain.delete(id)
    return t
  }
  for (const o of waited) evaluate(o, new Set())

  for (const root of expectedRoots) {
    if (state.has(root)) continue
    const [kind, namespace, name] = root.split('/') as [string, string, string]
    state.set(root, { id: root, kind, namespace, name, state: 'missing', message: 'not created yet', waitingOn: [] })
  }
  const tracked = order([...state.values()], byId)
  const ready = tracked.filter((t) => t.state === 'ready' || t.state === 'suspended').length
  return { tracked, done: ready === tracked.length, ready, total: tracked.length }
}

/** dependencies before dependants, parents before children; stable otherwise */
function order(list: Tracked[], byId: Map<string, Obj>): Tracked[] {
  const ids = new Map(list.map((t) => [t.id, t]))
  const out: Tracked[] = []
  const seen = new Set<string>()
  const visit = (t: Tracked) => {
    if (seen.has(t.id)) return
    seen.add(t.id)
    const o = byId.get(t.id)
    const before = [...(o ? depIds(o) : []), ...(t.parent ? [t.parent] : [])]
    for (const d of before) { const dt = ids.get(d); if (dt) visit(dt) }
    out.push(t)
  }
  for (const t of list) visit(t)
  return out
}

/**
 * The objects to blame when the wait fails: not ready and not merely waiting on another object; a Kustomization
 * that only waits for objects it applied (its health checks) is replaced by those objects.
 */
export function rootCauses(a: Assessment): Tracked[] {
  const pending = a.tracked.filter((t) => t.state === 'progressing' || t.state === 'failed' || t.state === 'missing')
  const pendingChildren = (id: string) => a.tracked.filter((t) => t.parent === id && t.state !== 'ready' && t.state !== 'suspended')
  const out: Tracked[] = []
  const add = (t: Tracked, depth: number) => {
    const kids = pendingChildren(t.id)
    if (kids.length && depth < 5) for (const k of kids) add(k.state === 'blocked' ? (a.tracked.find((x) => x.id === k.waitingOn[0]) ?? k) : k, depth + 1)
    else if (!out.includes(t)) out.push(t)
  }
  for (const t of pending) add(t, 0)
  if (out.length === 0) {
    // only blocked objects left: blame what they wait for
    for (const t of a.tracked.filter((x) => x.state === 'blocked')) {
      for (const w of t.waitingOn) {
        const found = a.tracked.find((x) => x.id === w)
        const culprit = found ?? { id: w, kind: w.split('/')[0]!, namespace: w.split('/')[1]!, name: w.split('/')[2]!, state: 'missing' as const, message: 'does not exist', waitingOn: [] }
        if (!out.some((o) => o.id === culprit.id)) out.push(culprit)
      }
    }
  }
  return out
}

/** Objects that block others, transitively: what a stuck root cause holds up. */
export function blockedBy(a: Assessment, id: string): Tracked[] {
  const out = new Set<Tracked>()
  const walk = (target: string) => {
    for (const t of a.tracked) {
      if (out.has(t)) continue
      if (t.waitingOn.includes(target)) { out.add(t); walk(t.id) }
    }
    const owner = a.tracked.find((t) => t.id === target)?.parent
    if (owner) { const p = a.tracked.find((t) => t.id === owner); if (p && p.state !== 'ready' && !out.has(p)) { out.add(p); walk(p.id) } }
  }
  walk(id)
  return [...out]
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

/** One line for the live progress display. */
export function progressLine(a: Assessment): string {
  const active = a.tracked.filter((t) => t.state === 'progressing' || t.state === 'failed' || t.state === 'missing')
  const blocked = a.tracked.filter((t) => t.state === 'blocked')
  const parts = [`${a.ready}/${a.total} Ready`]
  for (const t of active.slice(0, 2)) parts.push(`${shortId(t.id)}: ${clip(t.message.replace(/\s+/g, ' '), 70)}`)
  if (active.length > 2) parts.push(`+${active.length - 2} more reconciling`)
  if (blocked.length) parts.push(`${blocked.slice(0, 2).map((t) => `${shortId(t.id)} ← ${t.waitingOn.map(shortId).join(',')}`).join('; ')}${blocked.length > 2 ? ` (+${blocked.length - 2})` : ''}`)
  return parts.join(' · ')
}

/**
 * Per-object wait clocks: an object's timeout starts when it could make progress (not blocked by a dependency).
 * Returns the ids whose clock ran past `timeoutMs`.
 */
export function tick(clocks: Map<string, number>, a: Assessment, now: number, timeoutMs: number): string[] {
  for (const t of a.tracked) {
    const running = t.state === 'progressing' || t.state === 'failed' || t.state === 'missing'
    if (running && !clocks.has(t.id)) clocks.set(t.id, now)
    if (!running) clocks.delete(t.id)
  }
  return [...clocks.entries()].filter(([, t0]) => now - t0 >= timeoutMs).map(([id]) => id)
}

export function isSourceKind(kind: string): boolean {
  return SOURCE_KINDS.has(kind)
}
