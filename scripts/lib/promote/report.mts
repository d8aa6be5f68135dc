// What promote says: the plan in two lines, what --dry-run would do, and the --json result shape. Pure.

import { appsSource } from '../flux/apps-artifact.mts'
import type { CheckResult } from './checks.mts'
import { shortDigest } from './digest.mts'
import type { ObjectsDiff } from './diff.mts'
import type { PromoteRequest } from './request.mts'
import type { Plan } from './rules.mts'

export interface PromoteResult {
  command: 'promote'
  ok: boolean
  action: PromoteRequest['kind']
  from?: string
  to: string
  digest?: string
  previous?: string
  noop?: string
  notes: string[]
  diff?: ObjectsDiff
  gate?: CheckResult
  moved: boolean
  smoke?: CheckResult
  dryRun: boolean
  error?: string
}

export function planLines(plan: Plan): string[] {
  const lines: string[] = []
  if (plan.kind === 'promote') lines.push(`promote ${plan.from} → ${plan.to}: ${shortDigest(plan.digest)} (what ${plan.from} runs)`)
  else if (plan.kind === 'rollback') lines.push(`roll ${plan.to} to ${shortDigest(plan.digest)}`)
  else lines.push(`undo ${plan.to}: back to ${shortDigest(plan.digest)} (its previous digest)`)
  lines.push(`  ${plan.to} runs ${shortDigest(plan.current)}${plan.tagged && plan.tagged !== plan.current ? `, its tag names ${shortDigest(plan.tagged)}` : ''}`)
  for (const n of plan.notes) lines.push(`  note: ${n}`)
  return lines
}

export function dryRunLines(plan: Plan): string[] {
  return [
    'dry-run: nothing changed. Without --dry-run promote would',
    ...(plan.gate ? [`  run the gate: smoke + netpol checks of ${plan.gate}`] : []),
    `  move the tag ${plan.to} to ${plan.digest}${plan.tagged ? ` (keeping ${shortDigest(plan.tagged)} as ${plan.to}-previous)` : ''}`,
    `  reconcile ${appsSource(plan.to)} and wait for it, then run the smoke checks of ${plan.to}`,
  ]
}
