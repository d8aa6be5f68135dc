// Pure rendering of what down found, will do and did: the inventory table, the plan, the --json report and
// the closing summary.

import { renderTable } from '../shell/ui.mts'
import type { ActionReport } from './execute.mts'
import { describeAction } from './plan.mts'
import type { Item, Observed, Plan } from './types.mts'

export type ItemResult = 'deleted' | 'absent' | 'kept' | 'failed' | 'would-delete'

export interface DownReport {
  command: 'down'
  ok: boolean
  dryRun: boolean
  provider: 'kind' | 'existing'
  context: string
  cluster?: string
  items: { id: string; title: string; result: ItemResult; detail?: string }[]
  /** ids deleted by this run */
  deleted: string[]
  /** ids that were already gone (they count as removed) */
  alreadyAbsent: string[]
  /** deleted + alreadyAbsent */
  removed: string[]
  kept: string[]
  /** what should be gone but is not (non-empty = exit 1) */
  leftovers: string[]
  notes: string[]
  actions: { description: string; result: string; message?: string }[]
}

export function renderInventory(o: Observed, items: Item[]): string {
  const rows = items.filter((i) => i.exists).map((i) => [i.title, i.detail])
  const head = o.kind ? `kind cluster "${o.kind.clusterName}" (context ${o.context})` : `context ${o.context} (PLATFORM_PROVIDER=existing: only what up installed there)`
  if (!rows.length) return `Nothing of the platform found for ${head}.`
  return `Found for ${head}:\n${renderTable(['what', 'detail'], rows).replace(/^/gm, '  ')}`
}

export function renderPlan(plan: Plan): string {
  const del = plan.entries.filter((e) => e.outcome === 'delete').map((e) => e.title)
  const keep = plan.entries.filter((e) => e.outcome === 'keep').map((e) => e.title)
  const gone = plan.entries.filter((e) => e.outcome === 'absent').map((e) => e.title)
  const lines: string[] = []
  if (del.length) lines.push('Delete:', ...del.map((t) => `  - ${t}`))
  if (keep.length) lines.push('Keep:', ...keep.map((t) => `  - ${t}`))
  if (gone.length) lines.push('Already gone:', ...gone.map((t) => `  - ${t}`))
  if (plan.actions.length) lines.push('Steps:', ...plan.actions.map((a, n) => `  ${n + 1}. ${describeAction(a)}`))
  else lines.push('Nothing to delete.')
  if (plan.notes.length) lines.push('Notes:', ...plan.notes.map((n) => `  - ${n}`))
  return lines.join('\n')
}

/** The final question: it always names the cluster (or context) it is about, and says when the local CA goes. */
export function confirmMessage(o: Observed, plan: Plan): string {
  let q = baseConfirmMessage(o, plan)
  if (plan.actions.some((a) => a.kind === 'delete-mirror' || a.kind === 'delete-volume')) q = `${q} The pull-through caches go too: the next up downloads every image again.`
  return plan.actions.some((a) => a.kind === 'delete-ca') ? `${q} The local CA goes too: whatever trusts it must trust the new one the next up creates.` : q
}

function baseConfirmMessage(o: Observed, plan: Plan): string {
  const del = plan.entries.filter((e) => e.outcome === 'delete')
  const more = (n: number) => (n > 0 ? ` and ${n} more item${n === 1 ? '' : 's'}` : '')
  if (o.kind) {
    const name = o.kind.clusterName
    if (plan.actions.some((a) => a.kind === 'delete-cluster')) return `Delete kind cluster "${name}"${more(del.length - 1)}? This cannot be undone.`
    return `Delete ${del.map((e) => e.title).join(', ')}? (kind cluster "${name}" is ${del.length && o.kind.clusters.includes(name) ? 'kept' : 'not there'})`
  }
  const local = new Set(['forwards', 'state', 'kept', 'credentials', 'ca'])
  const inCluster = del.filter((e) => !local.has(e.item)).length
  const also = del.filter((e) => local.has(e.item)).map((e) => e.title)
  if (!inCluster) return `Delete ${also.join(', ')}? (nothing in context "${o.context}" is touched)`
  return `Remove ${inCluster} thing${inCluster === 1 ? '' : 's'} up installed into context "${o.context}"${also.length ? ` (and ${also.join(', ')})` : ''}?`
}

export interface ReportInput {
  observed: Observed
  plan: Plan
  dryRun: boolean
  actions?: ActionReport[]
  leftovers?: string[]
}

export function buildReport({ observed, plan, dryRun, actions = [], leftovers = [] }: ReportInput): DownReport {
  const items = plan.entries.map((e) => {
    let result: ItemResult
    if (e.outcome === 'absent') result = 'absent'
    else if (e.outcome === 'keep') result = 'kept'
    else if (dryRun) result = 'would-delete'
    else {
      const mine = actions.filter((a) => a.action.item === e.item)
      if (mine.some((a) => a.result === 'failed')) result = 'failed'
      else if (mine.length && mine.every((a) => a.result === 'absent' || a.result === 'skipped') && mine.some((a) => a.result === 'skipped')) result = 'kept'
      else if (mine.length && mine.every((a) => a.result === 'absent')) result = 'absent'
      else result = 'deleted'
    }
    return { id: e.item, title: e.title, result }
  })
  const ids = (r: ItemResult) => items.filter((i) => i.result === r).map((i) => i.id)
  const failed = actions.filter((a) => a.result === 'failed')
  return {
    command: 'down',
    ok: leftovers.length === 0 && failed.length === 0,
    dryRun,
    provider: observed.provider,
    context: observed.context,
    ...(observed.kind ? { cluster: observed.kind.clusterName } : {}),
    items,
    deleted: ids('deleted'),
    alreadyAbsent: ids('absent'),
    removed: [...ids('deleted'), ...ids('absent')],
    kept: ids('kept'),
    leftovers,
    notes: [...plan.notes, ...actions.filter((a) => a.result === 'skipped' && a.message).map((a) => a.message!)],
    actions: dryRun
      ? plan.actions.map((a) => ({ description: describeAction(a), result: 'planned' }))
      : actions.map((a) => ({ description: a.description, result: a.result, ...(a.message ? { message: a.message } : {}) })),
  }
}

export function renderSummary(r: DownReport): string {
  const title = (id: string) => r.items.find((i) => i.id === id)?.title ?? id
  const lines: string[] = []
  if (r.deleted.length) lines.push(`removed: ${r.deleted.map(title).join(', ')}`)
  if (r.alreadyAbsent.length) lines.push(`already gone: ${r.alreadyAbsent.map(title).join(', ')}`)
  if (r.kept.length) lines.push(`kept: ${r.kept.map(title).join(', ')}`)
  if (!r.deleted.length && !r.alreadyAbsent.length) lines.push('nothing deleted')
  for (const n of r.notes) lines.push(`note: ${n}`)
  if (r.leftovers.length) lines.push('left over (still there):', ...r.leftovers.map((l) => `  - ${l}`))
  return lines.join('\n')
}
