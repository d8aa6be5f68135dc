// Runs phases as a dependency graph: each starts as soon as its needs are done, independent ones run
// concurrently. The same structure gives --dry-run's plan, the progress display and the timing report.

import { EXIT, StepError } from '../shell/errors.mts'
import type { Phase, UpContext } from './types.mts'

export type PhaseStatus = 'ok' | 'failed' | 'skipped' | 'not-run'

export interface PhaseReport {
  id: string
  title: string
  status: PhaseStatus
  ms: number
  note?: string
  error?: string
}

export interface PlanSelection {
  only?: string[]
  skip?: string[]
}

/** Validate the graph (unknown needs, cycles) and return phases in a stable topological order. */
export function orderPhases(phases: Phase[]): Phase[] {
  const byId = new Map(phases.map((p) => [p.id, p]))
  const out: Phase[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (p: Phase, path: string[]) => {
    if (state.get(p.id) === 'done') return
    if (state.get(p.id) === 'visiting') throw new Error(`phase cycle: ${[...path, p.id].join(' -> ')}`)
    state.set(p.id, 'visiting')
    for (const n of p.needs) {
      const dep = byId.get(n)
      if (!dep) throw new Error(`phase ${p.id} needs unknown phase ${n}`)
      visit(dep, [...path, p.id])
    }
    state.set(p.id, 'done')
    out.push(p)
  }
  for (const p of phases) visit(p, [])
  return out
}

/** Which phases run: --only keeps the named ones, --skip drops them; unknown names are usage errors. */
export function selectPhases(phases: Phase[], sel: PlanSelection): Set<string> {
  const ids = new Set(phases.map((p) => p.id))
  for (const name of [...(sel.only ?? []), ...(sel.skip ?? [])]) {
    if (!ids.has(name)) {
      throw new StepError({ step: 'flags', message: `unknown phase "${name}"`, hint: `phases are: ${[...ids].join(', ')}`, exitCode: EXIT.usage })
    }
  }
  const selected = new Set(sel.only?.length ? sel.only : ids)
  for (const s of sel.skip ?? []) selected.delete(s)
  return selected
}

export function renderPlan(phases: Phase[], selected: Set<string>, ctx: UpContext): string {
  return orderPhases(phases).map((p, i) => {
    const reason = !selected.has(p.id) ? 'not selected' : p.skipWhen?.(ctx) || ''
    const needs = p.needs.length ? ` (after ${p.needs.join(', ')})` : ''
    return `${String(i + 1).padStart(2)}. ${p.id.padEnd(10)} ${p.title}${needs}${reason ? `  [skip: ${reason}]` : ''}`
  }).join('\n')
}

export async function runGraph(phases: Phase[], ctx: UpContext, selected: Set<string>): Promise<{ reports: PhaseReport[]; error?: unknown }> {
  const ordered = orderPhases(phases)
  const reports = new Map<string, PhaseReport>(ordered.map((p) => [p.id, { id: p.id, title: p.title, status: 'not-run', ms: 0 }]))
  const done = new Set<string>()
  const running = new Map<string, Promise<void>>()
  let firstError: unknown

  const start = (p: Phase) => {
    const rep = reports.get(p.id)!
    const reason = !selected.has(p.id) ? 'not selected' : p.skipWhen?.(ctx) || undefined
    if (reason) {
      rep.status = 'skipped'
      rep.note = reason
      done.add(p.id)
      return Promise.resolve()
    }
    const t0 = Date.now()
    return ctx.ui.step(p.title, async (s) => {
      // progress says what is happening; under --dry-run that is planning, not doing
      const handle = ctx.dryRun ? { ...s, update: (text: string) => s.update(`[dry-run] ${text}`) } : s
      const outcome = await p.run(ctx, handle)
      if (outcome?.note) s.note(`${p.title}: ${outcome.note}`)
      return outcome
    }).then((outcome) => {
      rep.status = 'ok'
      rep.ms = Date.now() - t0
      rep.note = outcome?.note
      done.add(p.id)
    }, (e: unknown) => {
      rep.status = 'failed'
      rep.ms = Date.now() - t0
      rep.error = e instanceof Error ? e.message : String(e)
      firstError ??= e
    })
  }

  for (;;) {
    if (!firstError) {
      for (const p of ordered) {
        if (done.has(p.id) || running.has(p.id)) continue
        if (p.needs.every((n) => done.has(n))) {
          const pr = start(p).finally(() => running.delete(p.id))
          running.set(p.id, pr)
        }
      }
    }
    if (running.size === 0) break
    await Promise.race(running.values())
  }
  return { reports: ordered.map((p) => reports.get(p.id)!), error: firstError }
}
