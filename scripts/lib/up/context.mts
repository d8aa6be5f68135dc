// Small accessors the up/sync/status phases share: which kube context, which host ports.

import type { Config } from '../shell/config.mts'
import type { PlatformState } from '../shell/state.mts'
import { portsOf } from '../cluster/observe.mts'
import type { UpContext } from './types.mts'

export { portsOf }

/** The context every kubectl/helm/flux call names: what the cluster phase found, else the configured one. */
export function kubeContext(ctx: { facts?: { context?: string }; config: Config }): string {
  return ctx.facts?.context ?? ctx.config.kubeContext
}

/** Host ports without probing: remembered ones from state when they were chosen for the same request. */
export function rememberedPorts(config: Config, state: PlatformState): { registry: number; http: number; https: number } {
  return portsOf({ config, state, facts: { changed: [], summary: [] } } as unknown as UpContext)
}
