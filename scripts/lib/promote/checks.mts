// The checks around a move: the gate (smoke + network-policy probes of the SOURCE environment, before anything
// changes) and the target's smoke checks after it. The same smoke helper as `smoke`/`up` (cluster mode, only that
// environment, the gateway required on kind like up), Flux readiness counted for the infrastructure and that
// environment only (a broken production must not block dev -> staging); the live netpol probes of the netpol
// helper restricted to that environment's namespace. Red never throws here: the caller decides and says so.

import type { Config, Environment } from '../shell/config.mts'
import { EXIT, isStepError } from '../shell/errors.mts'
import type { Runner } from '../shell/run.mts'
import { readState } from '../shell/state.mts'
import type { Ui } from '../shell/ui.mts'
import { failedCases } from '../reporters/model.mts'
import { runSmoke } from '../smoke/run.mts'
import { runProbes, summarize } from '../netpol/index.mts'
import { appsSource } from '../flux/apps-artifact.mts'
import { rememberedPorts } from '../up/context.mts'

export interface ChecksContext {
  runner: Runner
  config: Config
  ui: Ui
  stateDir: string
  signal: AbortSignal
  verbose: boolean
  dryRun: boolean
}

export interface SmokeTuning {
  requests?: number
  maxErrorRate?: number
  readyTimeoutMs?: number
}

export interface CheckResult {
  ok: boolean
  /** what passed, in one phrase ("24 checks passed") */
  note: string
  /** failed checks, by name, with their message */
  failed: string[]
}

/** Smoke checks of one environment. */
export async function smokeEnvironment(ctx: ChecksContext, env: Environment, t: SmokeTuning = {}): Promise<CheckResult> {
  const ports = rememberedPorts(ctx.config, readState(ctx.stateDir))
  const report = await runSmoke(
    { runner: ctx.runner, config: ctx.config, ui: ctx.ui, stateDir: ctx.stateDir, signal: ctx.signal, verbose: ctx.verbose },
    {
      context: ctx.config.kubeContext,
      environments: [env],
      ingressPort: ports.http,
      ingressHttpsPort: ports.https,
      requireIngress: ctx.config.provider === 'kind',
      fluxScope: (o) => o.kind !== 'Kustomization' || !/^apps-/.test(o.name) || o.name === appsSource(env),
      ...(t.requests !== undefined ? { requests: t.requests } : {}),
      ...(t.maxErrorRate !== undefined ? { maxErrorRate: t.maxErrorRate } : {}),
      ...(t.readyTimeoutMs !== undefined ? { readyTimeoutMs: t.readyTimeoutMs } : {}),
    },
  )
  const failed = failedCases(report).map((c) => `${c.classname ? `${c.classname}/` : ''}${c.name}${c.message ? ` (${c.message})` : ''}`)
  return { ok: failed.length === 0, note: `${report.cases.filter((c) => !c.skipped).length} smoke checks passed`, failed }
}

/** Live network-policy probes between the pods of one environment's namespace (and to DNS). */
export async function netpolEnvironment(ctx: ChecksContext, env: Environment): Promise<CheckResult> {
  try {
    const report = await runProbes(
      { runner: ctx.runner, config: { kubeContext: ctx.config.kubeContext, environments: [env] }, ui: ctx.ui, signal: ctx.signal, dryRun: ctx.dryRun },
      { namespaces: [`demo-${env}`] },
    )
    const s = summarize(report)
    const failed = [
      ...report.cells.filter((c) => c.observed !== undefined && c.observed !== c.expected).map((c) => `netpol ${c.from} -> ${c.to}:${c.port} ${c.observed ? 'allowed' : 'denied'} (expected ${c.expected ? 'allowed' : 'denied'})`),
      ...(s.unobserved ? [`netpol: ${s.unobserved} of ${s.cells} cells could not be probed`] : []),
    ]
    return { ok: report.ok && failed.length === 0, note: `observed == expected for ${s.probed} probes`, failed: failed.length || report.ok ? failed : ['netpol: the probe report is not ok'] }
  } catch (e) {
    // nothing to probe (no running pod) is a red gate, not a crash
    if (isStepError(e) && e.exitCode === EXIT.checkFailed) return { ok: false, note: '', failed: [`netpol: ${e.message}`] }
    throw e
  }
}

/** The gate: smoke and netpol of the source environment, both must be green. */
export async function runGate(ctx: ChecksContext, env: Environment, t: SmokeTuning = {}): Promise<CheckResult & { smoke: CheckResult; netpol: CheckResult }> {
  const smoke = await smokeEnvironment(ctx, env, t)
  const netpol = await netpolEnvironment(ctx, env)
  return {
    ok: smoke.ok && netpol.ok,
    note: `${smoke.note}; netpol ${netpol.note}`,
    failed: [...smoke.failed, ...netpol.failed],
    smoke,
    netpol,
  }
}
