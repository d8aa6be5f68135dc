// Where the load goes: a --url as given, or the local end of a managed port-forward to demo-<env>/svc/demo.

import type { Context } from '../shell/cli.mts'
import { freePort } from '../shell/ports.mts'
import { startPortForward } from '../forward/portforward.mts'
import type { ResolvedPlan } from './plan.mts'

export interface LoadTarget {
  base: string
  /** how the target is reached, for the summary */
  via?: string
}

export async function openLoadTarget(ctx: Context<any>, plan: ResolvedPlan): Promise<LoadTarget> {
  if (plan.baseUrl) return { base: plan.baseUrl }
  const env = plan.env!
  const via = `port-forward to demo-${env}/svc/demo:80`
  if (ctx.dryRun) return { base: 'http://127.0.0.1:<free port>', via }
  // a fixed local port, so a re-established forward keeps the URL the workers use
  const localPort = await freePort()
  const pf = await ctx.ui.step(`port-forward to demo-${env}/svc/demo`, () => startPortForward(ctx.runner, {
    context: ctx.config.kubeContext,
    namespace: `demo-${env}`,
    resource: 'svc/demo',
    remotePort: 80,
    localPort,
    step: 'load/port-forward',
    // kubectl port-forward ends with the pod it picked (a scale-down, a restart): follow the load to another one
    maxAutoRestarts: 5,
    signal: ctx.signal,
  }))
  ctx.onCleanup(() => pf.stop())
  return { base: pf.url, via }
}
