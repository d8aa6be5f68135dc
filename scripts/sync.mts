#!/usr/bin/env zx
// sync: the inner loop after editing manifests or app code, on a platform `up` built: rebuild and push the demo
// image if its sources changed, show what changed in the GitOps files, push the infrastructure artifact and the
// apps artifact (demo image pinned inside) to dev's tag only, reconcile and wait. Staging and production move
// with scripts/promote.mts. --watch repeats on every change under apps/, infrastructure/, bootstrap/.
import fs from 'node:fs'
import path from 'node:path'
import { printJson, runCommand } from './lib/shell/cli.mts'
import { EXIT, formatFailure, isStepError, StepError } from './lib/shell/errors.mts'
import type { FileChanges } from './lib/flux/artifact.mts'
import { readState, writeState } from './lib/shell/state.mts'
import { formatMs, type StepHandle } from './lib/shell/ui.mts'
import { did } from './lib/up/wording.mts'
import type { UpContext, UpFlags } from './lib/up/types.mts'

// The phases sync reuses, loaded when a sync runs (not for --help).
const loadSyncModules = async () => {
  const [{ writeDiagnostics }, { kubeContext }, { buildAndPushImage }, flux, { reconcilePhase }, { fluxReconcile }, { FLUX_NS }] = await Promise.all([
    import('./lib/diagnostics/bundle.mts'), import('./lib/up/context.mts'), import('./lib/up/phases/image.mts'), import('./lib/up/phases/flux.mts'),
    import('./lib/up/phases/reconcile.mts'), import('./lib/tools/flux.mts'), import('./lib/flux/bootstrap.mts'),
  ])
  return { writeDiagnostics, kubeContext, buildAndPushImage, ...flux, reconcilePhase, fluxReconcile, FLUX_NS }
}

interface SyncFlags extends UpFlags {
  watch: boolean
  debounce: number
  image: boolean
}

const WATCHED = ['apps', 'infrastructure', 'bootstrap'] as const

function changeLines(c: FileChanges, none: string): string[] {
  const lines = [...c.added.map((f) => `  A ${f}`), ...c.changed.map((f) => `  M ${f}`), ...c.removed.map((f) => `  D ${f}`)]
  return lines.length ? lines : [none]
}

interface SyncResult { ok: boolean; ms: number; changed: string[]; notes: string[]; error?: string; diagnostics?: string }

async function syncOnce(ctx: UpContext & { flags: SyncFlags }): Promise<SyncResult> {
  const t0 = Date.now()
  const { writeDiagnostics, kubeContext, buildAndPushImage, applyBootstrap, appsNote, ensureFluxInstalled, fetchSources, runFlux, sourcesToFetch, syncAppsArtifact, syncArtifact, reconcilePhase, fluxReconcile, FLUX_NS } = await loadSyncModules()
  ctx.state = readState(ctx.stateDir)
  ctx.facts = { changed: [], summary: [] }
  const notes: string[] = []
  try {
    if (ctx.flags.image && ctx.config.provider === 'kind') {
      const r = await ctx.ui.step('demo image', async (s) => buildAndPushImage(ctx, progress(ctx, s)))
      notes.push(r.note)
    }
    if (ctx.config.fluxMode === 'oci') {
      await ctx.ui.step('GitOps artifacts', async (s) => {
        const installed = await ensureFluxInstalled(ctx, progress(ctx, s))
        const art = await syncArtifact(ctx, progress(ctx, s))
        if (art.pushed) {
          s.note(`platform: flux diff artifact: ${art.diff.message || 'changed'}`)
          for (const l of changeLines(art.changes, '  (first push from this checkout: no earlier file list to compare)')) s.note(l)
          notes.push(did(ctx, `pushed ${art.revision}`, `would push ${art.revision}`))
        } else notes.push('infrastructure unchanged')
        // only the entry environment (dev) moves; staging and production wait for `promote`
        const apps = await syncAppsArtifact(ctx, progress(ctx, s))
        if (apps.pushed) {
          s.note(`apps (${apps.entry}): flux diff artifact: ${apps.diff.message || 'changed'}`)
          for (const l of changeLines(apps.changes, '  (first push from this checkout: no earlier file list to compare)')) s.note(l)
        }
        notes.push(appsNote(apps, ctx.dryRun))
        const boot = await applyBootstrap(ctx, progress(ctx, s))
        if (boot.applied) notes.push(did(ctx, 'bootstrap re-applied', 'would re-apply the bootstrap'))
        progress(ctx, s)('reconciling')
        await fetchSources(ctx, sourcesToFetch({ installed: Boolean(installed), bootstrapApplied: boot.applied, platformPushed: art.pushed, apps, existingSources: boot.existingSources }), progress(ctx, s), 'sync')
        ctx.facts.flux = { mode: 'oci', roots: boot.roots.map((n) => `Kustomization/${FLUX_NS}/${n}`), pushed: art.pushed || apps.pushed, revision: art.revision }
      })
    } else {
      await ctx.ui.step(ctx.config.fluxMode === 'git' ? 'Flux (git: commit and push your changes first)' : 'manifests (no Flux)', async (s) => {
        notes.push(await runFlux(ctx, progress(ctx, s)))
        if (ctx.config.fluxMode === 'git' && !ctx.dryRun) {
          await fluxReconcile(ctx.runner, kubeContext(ctx), ['source', 'git'], 'flux-system', FLUX_NS, ctx.config.reconcileTimeoutMs, {}, 'sync')
        }
      })
    }
    await ctx.ui.step(reconcilePhase.title, async (s) => {
      const out = await reconcilePhase.run(ctx, s)
      if (out?.note) notes.push(out.note)
    })
    return { ok: true, ms: Date.now() - t0, changed: ctx.facts.changed, notes }
  } catch (e) {
    const result: SyncResult = { ok: false, ms: Date.now() - t0, changed: ctx.facts.changed, notes, error: e instanceof Error ? e.message : String(e) }
    if (!ctx.dryRun && !ctx.signal.aborted) result.diagnostics = await writeDiagnostics({ runner: ctx.runner, config: ctx.config, context: kubeContext(ctx), stateDir: ctx.stateDir, error: e })
    if (result.diagnostics) process.stderr.write(`diagnostics bundle: ${path.relative(process.cwd(), result.diagnostics) || result.diagnostics}\n`)
    if (!ctx.flags.watch) {
      if (ctx.json) printJson({ command: 'sync', ...result })
      throw e
    }
    // --watch keeps going: the next edit may fix it
    process.stderr.write(`${isStepError(e) ? formatFailure(e) : `✖ ${result.error}`}\n`)
    return result
  }
}

/** Progress text for a step; under --dry-run it is planning, not doing. */
const progress = (ctx: UpContext, s: StepHandle) => (text: string) => s.update(ctx.dryRun ? `[dry-run] ${text}` : text)

function report(ctx: UpContext, r: SyncResult): void {
  if (ctx.json) printJson({ command: 'sync', ...r, ...(ctx.dryRun ? { dryRun: true, changed: [], wouldChange: r.changed } : {}) })
  else {
    const what = ctx.dryRun
      ? `dry run: nothing was changed${r.changed.length ? ` (a real run would change: ${r.changed.join(', ')})` : ', and a real run would change nothing'}`
      : r.changed.length ? `changed ${r.changed.join(', ')}` : 'nothing changed'
    process.stderr.write(`${r.ok ? '✔' : '✖'} sync ${formatMs(r.ms)}: ${what}${r.notes.length ? ` (${r.notes.join('; ')})` : ''}\n`)
  }
}

await runCommand<SyncFlags>({
  name: 'sync',
  lock: true,
  summary: 'push what changed (demo image, GitOps files) to the running platform, reconcile and wait',
  description: `
Run after editing the app (apps/demo/src) or any manifest. Only what changed moves: the image is rebuilt when its
sources changed; the infrastructure artifact (bootstrap/, infrastructure/) and the apps artifact (apps/, with the
demo image pinned) are pushed when \`flux diff artifact\` reports a difference (the changed files are listed).
The apps artifact moves only dev's tag: staging and production follow with \`npx zx scripts/promote.mts\`.
Then Flux reconciles and sync waits for Ready.
FLUX_MODE=git: commit and push first; sync reconciles the GitRepository. FLUX_MODE=none: re-applies the manifests.`,
  flags: {
    watch: { type: 'boolean', alias: 'w', description: `repeat on every change under ${WATCHED.join('/, ')}/ until Ctrl-C` },
    debounce: { type: 'number', value: '<ms>', default: 750, integer: true, min: 50, max: 600_000, description: 'with --watch: wait this long after the last change before syncing' },
    image: { type: 'boolean', default: true, description: 'rebuild/push the demo image when its sources changed (--no-image to skip)' },
  },
  examples: ['npx zx scripts/sync.mts', 'npx zx scripts/sync.mts --watch', 'npx zx scripts/sync.mts --no-image --json'],
  async run(base) {
    const ctx = base as unknown as UpContext & { flags: SyncFlags }
    ctx.saveState = () => { if (!ctx.dryRun) writeState(ctx.stateDir, ctx.state) }
    const { assertFluxModeSupported } = await loadSyncModules()
    assertFluxModeSupported(ctx)
    // sync moves changes onto a platform; it never builds one (that is up: cluster, registry, Flux install)
    const known = readState(ctx.stateDir)
    if (!known.cluster && !(known.lastRun?.command === 'up' && known.lastRun.ok)) {
      throw new StepError({
        step: 'sync',
        message: `no platform to sync to: up has not built one here (no cluster and no successful up recorded in ${path.relative(ctx.root, ctx.stateDir) || ctx.stateDir}/state.json)`,
        hint: 'run npx zx scripts/up.mts first; sync then pushes your later changes',
        exitCode: EXIT.precondition,
      })
    }
    if (!ctx.flags.watch) {
      const r = await syncOnce(ctx)
      report(ctx, r)
      return EXIT.ok
    }
    const debounce = Number(ctx.flags.debounce)
    let timer: NodeJS.Timeout | undefined
    let running = false
    let again = false
    let wake: (() => void) | undefined
    const trigger = () => {
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => { timer = undefined; if (running) again = true; else wake?.() }, debounce)
    }
    const watchers = WATCHED.filter((d) => fs.existsSync(path.join(ctx.root, d))).map((d) =>
      fs.watch(path.join(ctx.root, d), { recursive: true }, (_event, file) => {
        if (file && /(^|\/)(node_modules|\.git)(\/|$)|~$|\.swp$/.test(String(file))) return
        trigger()
      }))
    ctx.onCleanup(() => { for (const w of watchers) w.close(); if (timer) clearTimeout(timer) })
    ctx.ui.info(`watching ${WATCHED.join('/, ')}/ (Ctrl-C to stop)`)
    for (let round = 0; !ctx.signal.aborted; round++) {
      running = true
      const r = await syncOnce(ctx)
      running = false
      report(ctx, r)
      if (again) { again = false; continue }
      await new Promise<void>((resolve) => { wake = resolve; ctx.signal.addEventListener('abort', () => resolve(), { once: true }) })
      wake = undefined
    }
    return EXIT.ok
  },
})
