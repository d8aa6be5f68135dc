// promote, the thin executor: observe (the Flux Kustomizations, the registry's tags, the local log), plan (pure,
// rules.mts), show the diff of the target overlay between the target's digest and the new one (both artifacts
// pulled with `flux pull artifact`, rendered with `kubectl kustomize`, compared by diff.mts), gate, confirm, move
// the tag, reconcile the target and wait for it to apply that digest, smoke it. Every external call goes through
// the adapters; nothing changes before the gate is green and the user (or --yes) agreed.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { printJson, type Context, type FlagValues } from '../shell/cli.mts'
import type { Environment } from '../shell/config.mts'
import { EXIT, isStepError, StepError } from '../shell/errors.mts'
import { canPrompt, confirm } from '../shell/prompt.mts'
import { readState } from '../shell/state.mts'
import { formatMs } from '../shell/ui.mts'
import { appsSource, appsUrl } from '../flux/apps-artifact.mts'
import { FLUX_NS, parseDocs } from '../flux/bootstrap.mts'
import { fluxPullArtifact, fluxReconcile } from '../tools/flux.mts'
import { kubectlGetJson, kubectlList, kustomizeBuild, type KubeObject } from '../tools/kubectl.mts'
import { rememberedPorts } from '../up/context.mts'
import { runGate, smokeEnvironment, type SmokeTuning } from './checks.mts'
import { digestOf, shortDigest } from './digest.mts'
import { diffObjects, diffSummary, renderDiff } from './diff.mts'
import { readMoves, type MoveAction } from './history.mts'
import type { PromoteRequest } from './request.mts'
import { dryRunLines, planLines, type PromoteResult } from './report.mts'
import { planPromotion, runningByEnv } from './rules.mts'
import { moveTag, readTags } from './tags.mts'

export interface PromoteFlags extends FlagValues {
  yes: boolean
}

export type { PromoteResult }

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms)
  signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
})

const ACTION: Record<PromoteRequest['kind'], MoveAction> = { promote: 'promote', rollback: 'rollback', undo: 'undo' }

/** FLUX_MODE=git/none have no per-environment artifact to move. */
export function assertPromotable(ctx: Pick<Context, 'config'>): void {
  const mode = ctx.config.fluxMode
  if (mode === 'oci') return
  throw new StepError({
    step: 'promote',
    message: `promotion moves the per-environment tags of the OCI apps artifact; FLUX_MODE=${mode} has none`,
    hint: mode === 'git'
      ? 'in git mode promote through git (a branch or a path per environment, see bootstrap/README.md), or use FLUX_MODE=oci'
      : 'FLUX_MODE=none applies the overlays directly: use FLUX_MODE=oci for promotion',
    exitCode: EXIT.usage,
  })
}

/**
 * Render the target overlay of one digest of the apps artifact (empty when that overlay is not in it, or when
 * `missingOk` and the registry no longer holds the digest: the target's current one after a registry reset).
 */
async function renderAt(ctx: Context, port: number, digest: string | undefined, env: string, note: (s: string) => void, missingOk = false): Promise<Record<string, any>[]> {
  if (!digest) return []
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promote-'))
  const remove = () => fs.rmSync(dir, { recursive: true, force: true })
  ctx.onCleanup(remove) // also after Ctrl-C
  try {
    try {
      await fluxPullArtifact(ctx.runner, appsUrl(port, { digest }), dir, 'promote/diff')
    } catch (e) {
      if (!(missingOk && isStepError(e) && /MANIFEST_UNKNOWN/.test(e.message))) throw e
      note(`the registry no longer holds ${shortDigest(digest)}: compared with nothing`)
      return []
    }
    const overlay = path.join(dir, 'apps', 'overlays', env)
    if (!fs.existsSync(path.join(overlay, 'kustomization.yaml'))) {
      note(`${shortDigest(digest)} has no apps/overlays/${env}: compared as empty`)
      return []
    }
    return parseDocs(await kustomizeBuild(ctx.runner, overlay, 'promote/diff'))
  } finally {
    remove()
  }
}

/** Poll the target's Kustomization until it applied `digest` and is Ready, within RECONCILE_TIMEOUT from `t0`. */
async function waitApplied(ctx: Context, env: Environment, digest: string, t0: number, update: (s: string) => void): Promise<void> {
  const limit = ctx.config.reconcileTimeoutMs
  for (;;) {
    const res = await kubectlGetJson<KubeObject>(ctx.runner, ctx.config.kubeContext, ['kustomizations.kustomize.toolkit.fluxcd.io', appsSource(env), '-n', FLUX_NS], 'promote/wait')
    const ks = res.data
    const ready = ((ks?.status?.conditions ?? []) as Record<string, any>[]).find((c) => c.type === 'Ready')
    const applied = digestOf(ks?.status?.lastAppliedRevision)
    if (applied === digest && ready?.status === 'True') return
    const why = !res.ok ? res.error : applied !== digest ? `applied ${shortDigest(applied)}, waiting for ${shortDigest(digest)}` : `${ready?.reason ?? 'not Ready'}: ${ready?.message ?? ''}`
    update(why)
    if (Date.now() - t0 >= limit || ctx.signal.aborted) {
      throw new StepError({
        step: 'promote/wait',
        message: `${appsSource(env)} did not apply ${shortDigest(digest)} within ${formatMs(limit)} (RECONCILE_TIMEOUT): ${why}`,
        hint: `the tag ${env} already names the new digest; npx zx scripts/promote.mts --undo ${env} goes back, npx zx scripts/status.mts shows why`,
        exitCode: EXIT.timeout,
      })
    }
    await sleep(Math.max(200, Math.min(2000, Math.floor(limit / 8))), ctx.signal)
  }
}

export async function runPromote(ctx: Context<PromoteFlags>, req: PromoteRequest, tuning: SmokeTuning): Promise<number> {
  assertPromotable(ctx)
  const yes = Boolean(ctx.flags.yes)
  // fail before any work when the confirmation could never be given
  if (!ctx.dryRun && !yes && !canPrompt()) {
    throw new StepError({ step: 'promote', message: 'needs confirmation but stdin is not a terminal', hint: 're-run with --yes to answer without a prompt (CI), or --dry-run to see the diff only', exitCode: EXIT.precondition })
  }
  const out = (lines: string[]) => { if (!ctx.json) process.stdout.write(`${lines.join('\n')}\n`) }
  const port = rememberedPorts(ctx.config, readState(ctx.stateDir)).registry
  const context = ctx.config.kubeContext

  const { plan } = await ctx.ui.step('promote: reading what each environment runs', async () => {
    const [list, tags] = await Promise.all([
      kubectlList(ctx.runner, context, ['kustomizations.kustomize.toolkit.fluxcd.io', '-n', FLUX_NS], 'promote/observe'),
      readTags(ctx.runner, port, 'promote/observe'),
    ])
    if (list.error && !list.items.length) {
      throw new StepError({ step: 'promote', message: `cannot read the Flux Kustomizations of context ${context}: ${list.error}`, hint: 'is the platform up? npx zx scripts/up.mts (or set KUBE_CONTEXT)', exitCode: EXIT.precondition })
    }
    return { plan: planPromotion(req, { environments: ctx.config.environments, running: runningByEnv(list.items, ctx.config.environments), tags, history: readMoves(ctx.stateDir) }) }
  })
  const result: PromoteResult = { command: 'promote', ok: true, action: plan.kind, ...(plan.from ? { from: plan.from } : {}), to: plan.to, digest: plan.digest, ...(plan.current ? { previous: plan.current } : {}), notes: plan.notes, moved: false, dryRun: ctx.dryRun }
  const finish = (code: number) => { if (ctx.json) printJson(result); return code }
  const fail = (e: StepError): never => {
    result.ok = false
    result.error = e.message
    if (ctx.json) printJson(result)
    throw e
  }

  out(planLines(plan))
  if (plan.noop) {
    result.noop = plan.noop
    out([`✔ nothing to do: ${plan.noop}`])
    return finish(EXIT.ok)
  }

  const diff = await ctx.ui.step(`promote: diff of apps/overlays/${plan.to} ${shortDigest(plan.current)} → ${shortDigest(plan.digest)}`, async (s) => {
    const [before, after] = await Promise.all([renderAt(ctx, port, plan.current, plan.to, (n) => s.note(n), true), renderAt(ctx, port, plan.digest, plan.to, (n) => s.note(n))])
    return diffObjects(before, after)
  })
  result.diff = diff
  out([`diff of apps/overlays/${plan.to} (${shortDigest(plan.current)} → ${shortDigest(plan.digest)}):`, ...renderDiff(diff)])

  if (ctx.dryRun) {
    out(dryRunLines(plan))
    return finish(EXIT.ok)
  }

  if (plan.gate) {
    const gate = await runGate(ctx, plan.gate, tuning)
    result.gate = gate
    if (!gate.ok) {
      out([`✖ gate: ${plan.gate} is not green; nothing was changed`, ...gate.failed.map((f) => `  - ${f}`)])
      fail(new StepError({
        step: 'promote/gate',
        message: `the checks of ${plan.gate} failed (${gate.failed.length}): ${gate.failed.slice(0, 3).join('; ')}${gate.failed.length > 3 ? '; …' : ''}; nothing was changed`,
        hint: `npx zx scripts/smoke.mts and npx zx scripts/netpol.mts show the full reports; fix ${plan.gate}, then promote again`,
        exitCode: EXIT.checkFailed,
      }))
    }
    out([`✔ gate: ${plan.gate} is green (${gate.note})`])
  }

  if (!yes) {
    const question = `Move ${plan.to} from ${shortDigest(plan.current)} to ${shortDigest(plan.digest)}${diff.objects.length ? ` (${diffSummary(diff)})` : ''}?`
    const agreed = await ctx.ui.pause(() => confirm({ step: 'promote', flag: '--yes', message: question, initial: false }))
    if (!agreed) {
      out(['Not confirmed: nothing changed.'])
      return finish(EXIT.ok)
    }
  }

  await ctx.ui.step(`promote: move ${plan.to} to ${shortDigest(plan.digest)}`, async () => {
    await moveTag(ctx, port, { env: plan.to, ...(plan.tagged ? { from: plan.tagged } : {}), to: plan.digest, action: ACTION[plan.kind], ...(plan.from ? { source: plan.from } : {}) })
  })
  result.moved = true

  try {
    await ctx.ui.step(`promote: reconcile ${appsSource(plan.to)}`, async (s) => {
      // --with-source: source-controller fetches the moved tag first, then kustomize-controller applies it
      const t0 = Date.now()
      s.update(`fetching and applying ${appsSource(plan.to)}`)
      await fluxReconcile(ctx.runner, context, ['kustomization'], appsSource(plan.to), FLUX_NS, ctx.config.reconcileTimeoutMs, { withSource: true }, 'promote/reconcile')
      await waitApplied(ctx, plan.to, plan.digest, t0, (u) => s.update(u))
    })
  } catch (e) {
    if (!isStepError(e) || e.exitCode === EXIT.interrupted) throw e
    fail(new StepError({ step: e.step, message: `${e.message} (the tag ${plan.to} already names ${shortDigest(plan.digest)})`, hint: `npx zx scripts/promote.mts --undo ${plan.to} goes back; npx zx scripts/status.mts shows why`, exitCode: e.exitCode, ...(e.command ? { command: e.command } : {}), ...(e.details ? { details: e.details } : {}) }))
  }

  const smoke = await smokeEnvironment(ctx, plan.to, tuning)
  result.smoke = smoke
  if (!smoke.ok) {
    out([`✖ ${plan.to} runs ${shortDigest(plan.digest)} but its smoke checks fail`, ...smoke.failed.map((f) => `  - ${f}`)])
    fail(new StepError({
      step: 'promote/smoke',
      message: `${plan.to} runs ${shortDigest(plan.digest)} but ${smoke.failed.length} smoke check${smoke.failed.length === 1 ? '' : 's'} fail: ${smoke.failed.slice(0, 3).join('; ')}`,
      hint: `npx zx scripts/promote.mts --undo ${plan.to} goes back to ${shortDigest(plan.current)}`,
      exitCode: EXIT.checkFailed,
    }))
  }
  out([`✔ ${plan.to} runs ${shortDigest(plan.digest)} (was ${shortDigest(plan.current)}); ${smoke.note}`])
  return finish(EXIT.ok)
}
