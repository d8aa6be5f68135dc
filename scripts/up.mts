#!/usr/bin/env zx
// up: from nothing (a machine with Docker) to a verified platform, or converge an existing one.
// The phases live in lib/up/phases/*; this file wires flags, state, the graph and the report.
import path from 'node:path'
import { printJson, runCommand } from './lib/cli.mts'
import { runGraph, renderPlan, selectPhases } from './lib/up/graph.mts'
import { PHASES } from './lib/up/phases.mts'
import type { UpContext, UpFlags } from './lib/up/types.mts'
import { readState, writeFileAtomic, writeState } from './lib/state.mts'
import { formatMs, renderTable } from './lib/ui.mts'

await runCommand<UpFlags>({
  name: 'up',
  summary: 'create or converge the local platform (cluster, registry, Flux, add-ons, demo app) and verify it',
  description: `
Idempotent: every phase first observes what exists and acts only on the difference, so a second run on a
converged platform changes nothing. Independent phases run concurrently. Phases: ${PHASES.map((p) => p.id).join(', ') || '(none yet)'}.`,
  flags: {
    yes: { type: 'boolean', alias: 'y', description: 'answer yes to confirmations (required without a TTY for anything destructive)' },
    recreate: { type: 'boolean', description: 're-create the kind cluster when it differs from the desired config in a way that cannot be changed in place' },
    skip: { type: 'string', multiple: true, value: '<phase,...>', description: 'phases to leave out' },
    only: { type: 'string', multiple: true, value: '<phase,...>', description: 'run only these phases (their prerequisites must already be in place)' },
  },
  examples: [
    'npx zx scripts/up.mts',
    'npx zx scripts/up.mts --dry-run',
    'npx zx scripts/up.mts --skip smoke,netpol --json > run.json',
    'PLATFORM_PROVIDER=existing KUBE_CONTEXT=staging npx zx scripts/up.mts --yes',
  ],
  async run(base) {
    const ctx = base as UpContext
    ctx.state = readState(ctx.stateDir)
    ctx.facts = { changed: [], summary: [] }
    ctx.saveState = () => { if (!ctx.dryRun) writeState(ctx.stateDir, ctx.state) }
    const selected = selectPhases(PHASES, { only: ctx.flags.only, skip: ctx.flags.skip })
    if (ctx.dryRun) process.stderr.write(`Plan:\n${renderPlan(PHASES, selected, ctx)}\n\n`)

    const t0 = Date.now()
    const { reports, error } = await runGraph(PHASES, ctx, selected)
    const report = {
      command: 'up',
      ok: !error,
      dryRun: ctx.dryRun,
      startedAt: new Date(t0).toISOString(),
      totalMs: Date.now() - t0,
      phases: reports,
      changed: ctx.facts.changed,
      summary: ctx.facts.summary,
      ...(ctx.dryRun ? { plannedCommands: ctx.runner.planned } : {}),
    }
    if (!ctx.dryRun) {
      const file = path.join(ctx.stateDir, 'last-run.json')
      writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`)
      ctx.state.lastRun = { command: 'up', at: report.startedAt, ok: report.ok, reportFile: file }
      ctx.saveState()
    }
    if (ctx.json) printJson(report)
    else {
      process.stderr.write(`\n${renderTable(['phase', 'status', 'time', 'note'], reports.map((r) => [r.id, r.status, r.status === 'ok' || r.status === 'failed' ? formatMs(r.ms) : '', r.note ?? r.error ?? '']))}\n`)
      for (const line of ctx.facts.summary) process.stderr.write(`${line}\n`)
      process.stderr.write(`total ${formatMs(report.totalMs)}${ctx.facts.changed.length ? '' : ', nothing changed'}\n`)
    }
    if (error) throw error
  },
})
