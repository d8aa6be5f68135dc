// PLATFORM_PROVIDER=existing: remember what up created in someone else's cluster (down removes exactly that).
// Only things that were absent before up created them are recorded.

import { recordInstalled, type InstalledThing } from '../down/installed.mts'
import { kubectlList } from '../tools/kubectl.mts'
import { kubeContext } from './context.mts'
import type { UpContext } from './types.mts'

export function remember(ctx: UpContext, thing: InstalledThing): void {
  if (ctx.config.provider !== 'existing' || ctx.dryRun) return
  recordInstalled(ctx.state, thing)
  ctx.saveState()
}

/** Names of the namespaces that exist now (empty when they cannot be listed). */
export async function existingNamespaces(ctx: UpContext, step: string): Promise<Set<string> | undefined> {
  if (ctx.config.provider !== 'existing') return undefined
  const list = await kubectlList(ctx.runner, kubeContext(ctx), ['namespaces'], step)
  return list.error ? undefined : new Set(list.items.map((n) => n.metadata.name))
}

/** Record the wanted namespaces that did not exist in `before` and exist now. */
export async function rememberNewNamespaces(ctx: UpContext, before: Set<string> | undefined, wanted: string[], step: string): Promise<void> {
  if (!before) return
  const after = await existingNamespaces(ctx, step)
  for (const ns of wanted) if (!before.has(ns) && after?.has(ns)) remember(ctx, { namespace: ns })
}

const snapshots = new WeakMap<object, Set<string>>()

/** Before anything that may create the app namespaces (flux phase): which namespaces already exist. */
export async function snapshotNamespaces(ctx: UpContext, step: string): Promise<void> {
  if (snapshots.has(ctx)) return
  const before = await existingNamespaces(ctx, step)
  if (before) snapshots.set(ctx, before)
}

/** After they may exist (end of flux / reconcile): record the demo-<env> namespaces up brought. */
export async function rememberAppNamespaces(ctx: UpContext, step: string): Promise<void> {
  await rememberNewNamespaces(ctx, snapshots.get(ctx), ctx.config.environments.map((e) => `demo-${e}`), step)
}
