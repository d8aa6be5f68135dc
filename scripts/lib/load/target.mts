// Where the load goes: a --url as given, or the local end of a managed port-forward to demo-<env>/svc/demo.

import type { Context } from '../cli.mts'
import { EXIT, StepError } from '../errors.mts'
import type { ResolvedPlan } from './plan.mts'

export interface LoadTarget {
  base: string
  /** how the target is reached, for the summary */
  via?: string
}

export async function openLoadTarget(ctx: Context<any>, plan: ResolvedPlan): Promise<LoadTarget> {
  if (plan.baseUrl) return { base: plan.baseUrl }
  throw new StepError({ step: 'load/target', message: `port-forward to demo-${plan.env}/svc/demo is not wired yet`, hint: 'pass --url', exitCode: EXIT.usage })
}
