// What `up` records about what it installed into an EXISTING cluster (PLATFORM_PROVIDER=existing), so that
// `down` removes exactly that and nothing else. Call it right after creating the thing, and only when up created
// it (a namespace or release that was already there belongs to someone else). Then ctx.saveState().

import type { PlatformState } from '../shell/state.mts'

export type InstalledThing =
  | { helmRelease: { name: string; namespace: string } }
  | { namespace: string }
  | { flux: true }

export function recordInstalled(state: PlatformState, thing: InstalledThing): void {
  const i = (state.installed ??= { helmReleases: [], namespaces: [], flux: false })
  if ('helmRelease' in thing) {
    const h = thing.helmRelease
    if (!i.helmReleases.some((x) => x.name === h.name && x.namespace === h.namespace)) i.helmReleases.push({ name: h.name, namespace: h.namespace })
  } else if ('namespace' in thing) {
    if (!i.namespaces.includes(thing.namespace)) i.namespaces.push(thing.namespace)
  } else {
    i.flux = true
  }
}
