#!/usr/bin/env zx
// up: from nothing (a machine with Docker) to a verified platform, or converge an existing one.
// The phases live in lib/up/phases/*; this file wires flags, state, the graph, the summary and the report.
import path from 'node:path'
import { printJson, runCommand } from './lib/shell/cli.mts'
import { PHASE_IDS } from './lib/up/phase-ids.mts'
import type { UpContext, UpFlags } from './lib/up/types.mts'
import { readState, writeState, writeStateFile } from './lib/shell/state.mts'
import { formatMs, renderTable } from './lib/shell/ui.mts'

// The table is an overview; the full failure is the last line printed.
const clip = (s: string, n = 100) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

await runCommand<UpFlags>({
  name: 'up',
  lock: true,
  summary: 'create or converge the local platform (cluster, registry, Flux, add-ons, demo app) and verify it',
  description: `
Idempotent: every phase first observes what exists and acts only on the difference, so a second run on a
converged platform changes nothing. Independent phases run concurrently. Phases: ${PHASE_IDS.join(', ')}.
On failure a diagnostics bundle (Flux objects, events, controller and failing pod logs) is written to
<STATE_DIR>/diagnostics/<time>/ and its path printed.`,
  flags: {
    yes: { type: 'boolean', alias: 'y', description: 'answer yes to confirmations (required without a TTY for anything destructive)' },
    recreate: { type: 'boolean', description: 're-create the kind cluster when it differs from the desired config in a way that cannot be changed in place' },
    skip: { type: 'string', multiple: true, value: '<phase,...>', description: 'phases to leave out' },
    only: { type: 'string', multiple: true, value: '<phase,...>', description: 'run only these phases (their prerequisites must already be in place)' },
    helm: { type: 'string', multiple: true, value: '<release,...>', description: 'also install these add-ons with helm before Flux (metrics-server always is; FLUX_MODE=none installs all)' },
    offline: { type: 'boolean', description: 'first check that the pull-through caches (REGISTRY_MIRRORS) hold every image the platform pulls; stop before anything is created, naming what is missing' },
  },
  examples: [
    'npx zx scripts/up.mts',
    'npx zx scripts/up.mts --dry-run',
    'npx zx scripts/up.mts --offline          # a second run without network: the caches must hold every image',
    'npx zx scripts/up.mts --skip smoke,netpol --json > run.json',
    'FLUX_MODE=none npx zx scripts/up.mts',
    'PLATFORM_PROVIDER=existing KUBE_CONTEXT=staging FLUX_MODE=git FLUX_GIT_URL=https://github.com/me/platform npx zx scripts/up.mts --yes',
  ],
  async run(base) {
    // loaded here, not at the top: --help needs none of it
    const [{ writeDiagnostics }, { kubeContext, portsOf }, { runGraph, renderPlan, selectPhases }, { assertFluxModeSupported }, { PHASES }, { closing, endpoints, summaryLines }, { existingCaFile }, { healedLines }] = await Promise.all([
      import('./lib/diagnostics/bundle.mts'), import('./lib/up/context.mts'), import('./lib/up/graph.mts'), import('./lib/up/phases/flux.mts'), import('./lib/up/phases.mts'), import('./lib/up/summary.mts'), import('./lib/tls/ca.mts'),
      import('./lib/heal/report.mts'),
    ])
    const ctx = base as UpContext
    ctx.state = readState(ctx.stateDir)
    ctx.facts = { changed: [], summary: [], healed: [] }
    ctx.saveState = () => { if (!ctx.dryRun) writeState(ctx.stateDir, ctx.state) }
    const selected = selectPhases(PHASES, { only: ctx.flags.only, skip: ctx.flags.skip })
    // Before anything is created: a mode that cannot work here fails now, not after the cluster exists.
    assertFluxModeSupported(ctx)
    if (ctx.flags.offline) {
      const [{ mirrorsWanted }, { assertOfflineReady }] = await Promise.all([import('./lib/up/phases/mirrors.mts'), import('./lib/mirrors/coverage.mts')])
      const cov = await assertOfflineReady(ctx.runner, ctx.config, ctx.root, mirrorsWanted(ctx))
      ctx.ui.info(`offline: all ${cov.checks.length} images the platform pulls are in the caches (Helm charts are not cached: see README "Registry mirrors and an offline second run")`)
    }
    if (ctx.dryRun) process.stderr.write(`Plan:\n${renderPlan(PHASES, selected, ctx)}\n\n`)

    const t0 = Date.now()
    const { reports, error } = await runGraph(PHASES, ctx, selected)
    const ep = endpoints(ctx.config, portsOf(ctx), ctx.stateDir, ctx.facts.tls?.caFile ?? existingCaFile(ctx.stateDir))
    const report: Record<string, unknown> = {
      command: 'up',
      ok: !error,
      dryRun: ctx.dryRun,
      startedAt: new Date(t0).toISOString(),
      totalMs: Date.now() - t0,
      phases: reports,
      // under --dry-run nothing changed: what a real run would change is listed apart
      changed: ctx.dryRun ? [] : ctx.facts.changed,
      ...(ctx.dryRun ? { wouldChange: ctx.facts.changed } : {}),
      // what was repaired on a platform that had stopped (nodes, registry, its network, hosts.toml)
      healed: ctx.dryRun ? [] : ctx.facts.healed ?? [],
      ...(ctx.dryRun ? { wouldHeal: ctx.facts.healed ?? [] } : {}),
      summary: ctx.facts.summary,
      context: kubeContext(ctx),
      image: ctx.facts.image,
      endpoints: ep,
      ...(ctx.dryRun ? { plannedCommands: ctx.runner.planned } : {}),
    }
    // Diagnostics need a cluster to read from: a failure before one exists has nothing to collect.
    const failedBeforeCluster = reports.some((r) => r.status === 'failed' && ['preflight', 'ports', 'registry', 'mirrors', 'cluster'].includes(r.id))
    if (error && !failedBeforeCluster && !ctx.dryRun && !ctx.signal.aborted) {
      ctx.ui.info('collecting diagnostics…')
      const dir = await writeDiagnostics({ runner: ctx.runner, config: ctx.config, context: kubeContext(ctx), stateDir: ctx.stateDir, error, report: { phases: reports } })
      report.diagnostics = dir
      report.totalMs = Date.now() - t0
    }
    if (!ctx.dryRun) {
      const file = writeStateFile(ctx.stateDir, 'last-run.json', `${JSON.stringify(report, null, 2)}\n`)
      ctx.state.lastRun = { command: 'up', at: String(report.startedAt), ok: !error, reportFile: file }
      ctx.saveState()
    }
    if (ctx.json) printJson(report)
    const out = (line: string) => process.stderr.write(`${line}\n`)
    out('')
    out(renderTable(['phase', 'status', 'time', 'note'], reports.map((r) => [r.id, r.status, r.status === 'ok' || r.status === 'failed' ? formatMs(r.ms) : '', clip(r.note ?? r.error ?? '')])))
    if (!error && !ctx.dryRun) {
      out('')
      for (const line of [...summaryLines(ep, ctx.root), ...ctx.facts.summary]) out(line)
    }
    for (const line of healedLines(ctx.facts.healed ?? [], ctx.dryRun)) out(line)
    if (report.diagnostics) {
      const rel = path.relative(process.cwd(), String(report.diagnostics))
      out(`\ndiagnostics bundle: ${rel && !rel.startsWith('..') ? rel : String(report.diagnostics)}`)
    }
    out(`total ${formatMs(Number(report.totalMs))}${closing(ctx.dryRun, Boolean(error), ctx.facts.changed)}`)
    if (error) throw error
  },
})
