// The pure heart of `down`: from what exists (Observed) and what was chosen (Choices) to an ordered list
// of actions, and afterwards from a fresh observation to the list of leftovers. No I/O here.

import path from 'node:path'
import { REGISTRY_LABEL, REGISTRY_ROLE, type Action, type Choices, type Item, type ItemId, type Observed, type Plan, type PlanEntry, type StateSection } from './types.mts'

/** Namespaces down never deletes, whatever the state file says. */
export const PROTECTED_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease'])

export interface ItemOptions {
  /** --all / --delete-registry: the registry, and the local files kept by a plain down, are selected too */
  deleteRegistry?: boolean
  /** --all: the local CA is selected by default too */
  deleteCa?: boolean
}

const list = (names: string[], max = 4) => (names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`)

function credentialsEntry(o: Observed): string | undefined {
  const c = o.local.credentials
  if (!c) return undefined
  return path.relative(o.local.stateDir, c.file).split(path.sep).join('/')
}

/** The local CA's files (relative paths): an item of their own, so they are never among the other files. */
const caFiles = (o: Observed): string[] => (o.local.ca?.files ?? []).map((f) => path.relative(o.local.stateDir, f).split(path.sep).join('/'))

/** Files the suite wrote in the state dir (the credentials file and the CA have items of their own): kept ones or the rest. */
function stateFiles(o: Observed, kept: boolean): string[] {
  const separate = new Set([credentialsEntry(o), ...caFiles(o)])
  return o.local.owned.files.filter((f) => f.keep === kept && !separate.has(f.path)).map((f) => f.path)
}

/**
 * Can the kind network go with the cluster? Only if up created it, no other kind cluster has nodes on it (running
 * or stopped) and nobody but our nodes and our registry is attached (a kept registry is disconnected first; the
 * next up reconnects it).
 */
export function networkRemovable(o: Observed): boolean {
  const k = o.kind
  if (!k || !k.network.exists || !k.network.createdByUs) return false
  if (k.network.clusters.some((c) => c !== k.clusterName)) return false
  const ours = new Set(k.nodes)
  if (k.registry.status === 'ours') ours.add(k.registry.name)
  for (const m of k.mirrors ?? []) ours.add(m.name)
  return k.network.members.every((m) => ours.has(m))
}

/** Everything down could delete in this configuration, with what exists and what is selected by default. */
export function listItems(o: Observed, opts: ItemOptions = {}): Item[] {
  const items: Item[] = []
  const ours = o.local.forwards.filter((f) => f.ours)
  items.push({
    id: 'forwards',
    title: 'port-forwards',
    detail: ours.length ? ours.map((f) => `${f.what} (pid ${f.pid})`).join('; ') : 'none running',
    hint: `${ours.length} running`,
    exists: ours.length > 0,
    byDefault: true,
    choosable: ours.length > 0,
  })

  if (o.kind) {
    const k = o.kind
    const clusterExists = k.clusters.includes(k.clusterName)
    const contextExists = o.contexts.includes(o.context)
    items.push({
      id: 'cluster',
      title: `kind cluster "${k.clusterName}"`,
      detail: clusterExists ? `${k.nodes.length} node container${k.nodes.length === 1 ? '' : 's'}${contextExists ? `, kube context ${o.context}` : ''}` : 'not found',
      hint: `and its kube context ${o.context}`,
      exists: clusterExists,
      byDefault: true,
      choosable: clusterExists,
    })
    items.push({
      id: 'context',
      title: `kube context "${o.context}"`,
      detail: clusterExists ? 'goes with the cluster' : contextExists ? 'stale: its cluster is gone' : 'not in the kubeconfig',
      hint: 'stale: its cluster is gone',
      exists: contextExists,
      byDefault: true,
      // with the cluster it is not a choice: kind removes it, and a context of a deleted cluster is useless
      choosable: contextExists && !clusterExists,
    })
    const r = k.registry
    const where = [r.image, r.hostPort ? `127.0.0.1:${r.hostPort}` : '', r.running === false ? 'stopped' : ''].filter(Boolean).join(', ')
    const data = r.volumes.length ? `; cached images in ${r.volumes.map((v) => (v.anonymous ? 'its anonymous volume' : `volume ${v.name}`)).join(', ')}` : ''
    items.push({
      id: 'registry',
      title: `registry container "${r.name}"`,
      detail: r.status === 'ours' ? `${where}${data} (a cache worth keeping: the next up reuses it)` : r.status === 'foreign' ? 'same name, but not ours (no label): never touched' : 'not found',
      hint: 'and its cached images (kept by default: the next up reuses them)',
      exists: r.status === 'ours',
      byDefault: Boolean(opts.deleteRegistry),
      choosable: r.status === 'ours',
    })
    const mirrors = k.mirrors ?? []
    const mirrorVolumes = k.mirrorVolumes ?? []
    if (mirrors.length || mirrorVolumes.length) {
      const what = [...mirrors.map((m) => `${m.upstream}${m.running ? '' : ' (stopped)'}`), ...mirrorVolumes.map((v) => `volume ${v} (its container is gone)`)]
      items.push({
        id: 'mirrors',
        title: `pull-through caches (${mirrors.length})`,
        detail: `${list(what)}, data on named volumes (caches worth keeping: the next up reuses them; --all deletes them)`,
        hint: 'and their cached images (kept by default: the next up reuses them)',
        exists: true,
        byDefault: Boolean(opts.deleteRegistry),
        choosable: true,
      })
    }
  }

  if (o.existing) {
    const e = o.existing
    if (e.flux.recorded) {
      items.push({ id: 'flux', title: 'Flux', detail: e.flux.present ? `installed by up in ${o.context} (its Kustomizations prune what they applied, then flux uninstall)` : 'not found', hint: 'and what its Kustomizations applied', exists: e.flux.present, byDefault: true, choosable: e.flux.present })
    }
    for (const h of e.helmReleases) {
      items.push({ id: `helm:${h.namespace}/${h.name}`, title: `Helm release ${h.namespace}/${h.name}`, detail: h.present ? 'installed by up' : 'not found', hint: 'installed by up', exists: h.present, byDefault: true, choosable: h.present })
    }
    for (const n of e.namespaces) {
      if (PROTECTED_NAMESPACES.has(n.name)) continue
      items.push({ id: `namespace:${n.name}`, title: `namespace ${n.name}`, detail: n.present ? 'created by up (everything in it goes too)' : 'not found', hint: 'and everything in it', exists: n.present, byDefault: true, choosable: n.present })
    }
  }

  const rest = stateFiles(o, false)
  // (a dir the suite created that holds nothing any more is removed when the run lock is released)
  const stateThere = o.local.stateExists && rest.length > 0
  items.push({
    id: 'state',
    title: 'local state',
    detail: stateThere ? `${o.local.stateDir} (${list(rest)})` : 'none',
    hint: path.basename(o.local.stateDir),
    exists: stateThere,
    byDefault: true,
    choosable: stateThere,
  })
  const kept = stateFiles(o, true)
  if (kept.length) {
    items.push({
      id: 'kept',
      title: 'kept local files',
      detail: `${list(kept)} in ${o.local.stateDir} (kept by a plain down; --all deletes them)`,
      hint: 'kept by default (--all deletes them)',
      exists: true,
      byDefault: Boolean(opts.deleteRegistry),
      choosable: true,
    })
  }
  // listed only when there is one: no CA is not news
  const ca = o.local.ca
  if (ca) {
    items.push({
      id: 'ca',
      title: 'local CA',
      detail: `${ca.dir} (whatever you told to trust it would have to trust a new one; the next up reuses it)`,
      hint: 'kept by default: the next up reuses it, so what trusts it keeps working',
      exists: true,
      byDefault: Boolean(opts.deleteCa),
      choosable: true,
    })
  }
  const c = o.local.credentials
  items.push({
    id: 'credentials',
    title: 'generated credentials',
    detail: c?.exists ? `Grafana admin password file ${c.file}` : 'none',
    hint: 'the Grafana admin password file',
    exists: Boolean(c?.exists),
    byDefault: true,
    choosable: Boolean(c?.exists),
  })
  return items
}

/** What --yes (or Enter on the untouched prompt) means. */
export function defaultChoices(items: Item[]): Choices {
  return { selected: items.filter((i) => i.byDefault).map((i) => i.id) }
}

/** Notes that hold whatever is chosen (shown before the prompt too). */
export function observationNotes(o: Observed): string[] {
  const notes: string[] = []
  if (o.currentContext && o.currentContext !== o.context) notes.push(`current kube context "${o.currentContext}" is not touched`)
  for (const f of o.local.forwards) {
    if (f.live && !f.ours) notes.push(`pid ${f.pid} (recorded for ${f.what}) is no longer a port-forward: left alone`)
  }
  if (o.kind) {
    const others = o.kind.clusters.filter((c) => c !== o.kind!.clusterName)
    if (others.length) notes.push(`other kind clusters are left alone: ${list(others)}`)
    if (o.kind.registry.status === 'foreign') notes.push(`container "${o.kind.registry.name}" has no label ${REGISTRY_LABEL}=${REGISTRY_ROLE}: not ours, never touched`)
  }
  if (o.existing) {
    for (const n of o.existing.namespaces) {
      if (PROTECTED_NAMESPACES.has(n.name)) notes.push(`namespace ${n.name} is recorded as installed but is a system namespace: never deleted`)
    }
  }
  return notes
}

export function planTeardown(o: Observed, choices: Choices): Plan {
  const chosen = new Set(choices.selected)
  const items = listItems(o)
  const byId = new Map(items.map((i) => [i.id, i]))
  const has = (id: ItemId) => chosen.has(id)
  const exists = (id: ItemId) => byId.get(id)?.exists ?? false
  const actions: Action[] = []
  const notes = observationNotes(o)

  if (has('forwards')) {
    for (const f of o.local.forwards) if (f.ours) actions.push({ kind: 'stop-forward', item: 'forwards', pid: f.pid, what: f.what })
  }

  if (o.existing) {
    const e = o.existing
    if (has('flux') && e.flux.present) {
      actions.push({ kind: 'flux-prune', item: 'flux', context: o.context })
      actions.push({ kind: 'flux-uninstall', item: 'flux', context: o.context })
    }
    for (const h of e.helmReleases) {
      const id = `helm:${h.namespace}/${h.name}`
      if (has(id) && h.present) actions.push({ kind: 'helm-uninstall', item: id, context: o.context, name: h.name, namespace: h.namespace })
    }
    for (const n of e.namespaces) {
      if (PROTECTED_NAMESPACES.has(n.name)) continue
      const id = `namespace:${n.name}`
      if (has(id) && n.present) actions.push({ kind: 'delete-namespace', item: id, context: o.context, name: n.name })
    }
  }

  if (o.kind) {
    const k = o.kind
    if (has('cluster') && exists('cluster')) actions.push({ kind: 'delete-cluster', item: 'cluster', name: k.clusterName, context: o.context })
    if ((has('cluster') || has('context')) && exists('context')) actions.push({ kind: 'delete-context', item: has('cluster') ? 'cluster' : 'context', context: o.context })
    if (has('registry') && k.registry.status === 'ours') actions.push({ kind: 'delete-registry', item: 'registry', name: k.registry.name })
    else if (k.registry.status === 'ours') notes.push(`registry "${k.registry.name}" kept${k.registry.hostPort ? ` on 127.0.0.1:${k.registry.hostPort}` : ''} with its cached images (delete it with --delete-registry or --all)`)
    if (has('registry') && k.registry.status === 'ours') {
      for (const v of k.registry.volumes.filter((x) => !x.anonymous)) notes.push(`named volume ${v.name} is not deleted (docker volume rm ${v.name} if you want the cache gone)`)
    }
    const mirrors = k.mirrors ?? []
    const mirrorVolumes = k.mirrorVolumes ?? []
    if (has('mirrors')) {
      for (const m of mirrors) actions.push({ kind: 'delete-mirror', item: 'mirrors', name: m.name, ...(m.volume ? { volume: m.volume } : {}) })
      for (const v of mirrorVolumes) actions.push({ kind: 'delete-volume', item: 'mirrors', name: v })
    } else if (mirrors.length || mirrorVolumes.length) {
      notes.push(`pull-through caches kept with their cached images (${[...mirrors.map((m) => m.name), ...mirrorVolumes].join(', ')}; delete them with --all)`)
    }
    const net = k.network
    if (has('cluster') && networkRemovable(o)) {
      if (!has('registry') && net.members.includes(k.registry.name)) actions.push({ kind: 'disconnect-registry', item: 'cluster', name: k.registry.name, network: net.name })
      if (!has('mirrors')) for (const m of mirrors) if (net.members.includes(m.name)) actions.push({ kind: 'disconnect-mirror', item: 'cluster', name: m.name, network: net.name })
      actions.push({ kind: 'delete-network', item: 'cluster', name: net.name })
    } else if (net.exists && net.createdByUs && has('cluster')) {
      const strangers = net.members.filter((m) => !k.nodes.includes(m) && !(m === k.registry.name && k.registry.status === 'ours') && !mirrors.some((x) => x.name === m))
      notes.push(`docker network "${net.name}" kept: ${net.clusters.some((c) => c !== k.clusterName) ? 'other kind clusters use it' : `other containers are attached: ${list(strangers)}`}`)
    }
  }

  const c = o.local.credentials
  const dropCredentials = has('credentials') && Boolean(c?.exists)
  if (dropCredentials && c) actions.push({ kind: 'delete-credentials', item: 'credentials', file: c.file })
  const ca = o.local.ca
  if (has('ca') && ca) actions.push({ kind: 'delete-ca', item: 'ca', dir: ca.dir, files: ca.files })
  else if (ca) notes.push(`local CA kept in ${ca.dir}: the next up reuses it, so whatever trusts it keeps working (delete it with --all)`)

  const dropState = has('state') && exists('state')
  const dropKept = has('kept') && exists('kept')
  if (dropState || dropKept) {
    // exactly the files the suite recorded writing (the credentials file has its own action)
    const files = [...(dropState ? stateFiles(o, false) : []), ...(dropKept ? stateFiles(o, true) : [])].sort()
    actions.push({ kind: 'delete-state', item: dropState ? 'state' : 'kept', dir: o.local.stateDir, files, dirs: dropState ? o.local.owned.dirs : [] })
    if (dropState) notes.push(...stateDirNotes(o))
  }
  if (!dropState && o.local.stateExists) {
    const forget: StateSection[] = []
    const removed = (kind: Action['kind']) => actions.some((a) => a.kind === kind)
    if (has('cluster') && o.kind) forget.push('cluster', 'installed')
    if (removed('delete-registry')) forget.push('registry', 'image')
    if (dropCredentials) forget.push('grafana')
    if (o.existing && items.filter((i) => i.id === 'flux' || i.id.startsWith('helm:') || i.id.startsWith('namespace:')).every((i) => has(i.id) || !i.exists)) forget.push('installed')
    const dropForwards = o.local.forwards.filter((f) => !f.live || (f.ours && has('forwards'))).map((f) => f.pid)
    if (forget.length || dropForwards.length) actions.push({ kind: 'update-state', item: 'state', dir: o.local.stateDir, forget: [...new Set(forget)], dropForwards })
  }

  const entries: PlanEntry[] = items
    .filter((i) => i.exists || has(i.id))
    .filter((i) => !(i.id === 'context' && has('cluster')))
    // "no port-forwards, no password file" is not news; a missing cluster or state is (it counts as removed)
    .filter((i) => i.exists || (i.id !== 'forwards' && i.id !== 'credentials'))
    .map((i) => ({ item: i.id, title: i.title, outcome: !i.exists ? 'absent' : has(i.id) ? 'delete' : 'keep' }))
  return { actions, entries, notes }
}

/** Why the state dir (or part of it) stays after down: never a reason to delete more. */
function stateDirNotes(o: Observed): string[] {
  const l = o.local
  const notes: string[] = []
  if (l.owned.source === 'legacy') notes.push(`${l.stateDir} has no record of what the suite wrote (an older version made it): only the files that version is known to write are deleted`)
  if (l.owned.foreign.length) notes.push(`${l.stateDir} holds files the suite did not write, left alone: ${list(l.owned.foreign)}`)
  if (!l.owned.dirs.includes('.')) notes.push(`${l.stateDir} itself is kept: the suite did not create it`)
  return notes
}

/** A one-line description of an action, for the plan, --dry-run and the progress display. */
export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'stop-forward': return `stop port-forward ${a.what} (pid ${a.pid})`
    case 'flux-prune': return `delete Flux Kustomizations in flux-system (${a.context}), pruning what they applied`
    case 'flux-uninstall': return `flux uninstall (${a.context})`
    case 'helm-uninstall': return `helm uninstall ${a.namespace}/${a.name} (${a.context})`
    case 'delete-namespace': return `delete namespace ${a.name} (${a.context})`
    case 'delete-cluster': return `kind delete cluster --name ${a.name}`
    case 'delete-context': return `remove kube context ${a.context} from the kubeconfig`
    case 'delete-registry': return `remove registry container ${a.name} and its anonymous data volume`
    case 'disconnect-registry': return `disconnect the kept registry ${a.name} from the ${a.network} network (up reconnects it)`
    case 'delete-network': return `remove docker network ${a.name} (created by up, now unused)`
    case 'delete-mirror': return `remove pull-through cache ${a.name}${a.volume ? ` and its volume ${a.volume}` : ''}`
    case 'delete-volume': return `remove volume ${a.name} (data of a pull-through cache whose container is gone)`
    case 'disconnect-mirror': return `disconnect the kept cache ${a.name} from the ${a.network} network (up reconnects it)`
    case 'delete-credentials': return `delete ${a.file}`
    case 'delete-state': return `delete ${list(a.files)} in ${a.dir}${a.dirs.includes('.') ? ', then the dir itself if nothing else is in it' : ''}`
    case 'delete-ca': return `delete the local CA (${a.files.map((f) => path.basename(f)).join(', ')} in ${a.dir})`
    case 'update-state': return `update ${path.join(a.dir, 'state.json')} (forget ${[...a.forget, ...(a.dropForwards.length ? ['finished port-forwards'] : [])].join(', ')})`
  }
}

export interface LeftoverInput {
  plan: Plan
  before: Observed
  after: Observed
  /** pids of stopped port-forwards that still run */
  stillRunning: number[]
}

/** What should be gone after executing the plan but is not. Empty = success. */
export function findLeftovers({ plan, before, after, stillRunning }: LeftoverInput): string[] {
  const out: string[] = []
  const did = (kind: Action['kind']) => plan.actions.filter((a) => a.kind === kind)
  const removedItem = (id: ItemId) => plan.entries.some((e) => e.item === id && e.outcome !== 'keep')
  for (const a of did('stop-forward')) if (stillRunning.includes((a as { pid: number }).pid)) out.push(`port-forward ${(a as { what: string }).what} (pid ${(a as { pid: number }).pid}) still running`)

  if (before.kind && after.kind) {
    const k = after.kind
    if (removedItem('cluster')) {
      if (k.clusters.includes(k.clusterName)) out.push(`kind cluster ${k.clusterName}`)
      else if (k.nodes.length) out.push(`node containers of kind cluster ${k.clusterName}: ${list(k.nodes)}`)
      const net = k.network
      if (net.exists && (did('delete-network').length || (net.createdByUs && !net.clusters.length && net.members.length === 0))) out.push(`docker network ${net.name} (created by up, unused)`)
    }
    if ((removedItem('cluster') || removedItem('context')) && after.contexts.includes(after.context)) out.push(`kube context ${after.context}`)
    if (removedItem('registry') && k.registry.status === 'ours') out.push(`registry container ${k.registry.name}`)
    if (removedItem('mirrors')) {
      for (const m of k.mirrors ?? []) out.push(`pull-through cache ${m.name}`)
      for (const v of k.mirrorVolumes ?? []) out.push(`volume ${v}`)
    }
  }

  if (after.existing) {
    const e = after.existing
    if (removedItem('flux') && e.flux.present) out.push(`Flux in ${after.context}`)
    for (const h of e.helmReleases) if (removedItem(`helm:${h.namespace}/${h.name}`) && h.present) out.push(`Helm release ${h.namespace}/${h.name} in ${after.context}`)
    for (const n of e.namespaces) if (removedItem(`namespace:${n.name}`) && n.present) out.push(`namespace ${n.name} in ${after.context}`)
  }

  const del = did('delete-state')[0] as Extract<Action, { kind: 'delete-state' }> | undefined
  if (del) {
    const left = after.local.owned.files.map((f) => f.path).filter((f) => del.files.includes(f))
    if (left.length) out.push(`local state in ${del.dir}: ${list(left)}`)
    // the dir was the suite's and nothing else is in it: it should be gone
    const emptyOfOthers = !after.local.owned.foreign.length && !after.local.owned.files.length
    if (del.dirs.includes('.') && after.local.stateExists && emptyOfOthers) out.push(`state dir ${del.dir}`)
  }
  if (did('delete-credentials').length && after.local.credentials?.exists) out.push(`credentials file ${after.local.credentials.file}`)
  if (did('delete-ca').length && after.local.ca) out.push(`local CA ${after.local.ca.files.join(', ')}`)
  return out
}
