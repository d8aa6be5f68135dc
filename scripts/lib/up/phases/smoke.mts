// smoke: the smoke helper's checks against the running platform (per environment: /healthz, /readyz, /work
// error rate against FAIL_RATE, /metrics, also through the gateway over HTTPS verified against the local CA;
// Flux, HPA metrics, Grafana, Prometheus targets). Any failed check fails
// up, naming the checks; `npx zx scripts/smoke.mts` prints the full report.

import { EXIT, StepError } from '../../shell/errors.mts'
import { failedCases } from '../../reporters/model.mts'
import { runSmoke } from '../../smoke/run.mts'
import { kubeContext, portsOf } from '../context.mts'
import type { Phase } from '../types.mts'

const clip = (s: string, n = 90) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

export const smokePhase: Phase = {
  id: 'smoke',
  title: 'smoke checks',
  needs: ['reconcile'],
  skipWhen: (ctx) => (ctx.dryRun ? 'dry-run: nothing deployed to check' : false),
  async run(ctx) {
    const report = await runSmoke(
      { runner: ctx.runner, config: ctx.config, ui: ctx.ui, stateDir: ctx.stateDir, signal: ctx.signal, verbose: ctx.verbose },
      // On kind the gateway's host port mapping is part of what up built, so it must answer.
      { context: kubeContext(ctx), ingressPort: portsOf(ctx).http, ingressHttpsPort: portsOf(ctx).https, requireIngress: ctx.config.provider === 'kind' },
    )
    const failed = failedCases(report)
    if (failed.length) {
      throw new StepError({
        step: 'smoke',
        message: `${failed.length} of ${report.cases.length} checks failed: ${failed.slice(0, 4).map((c) => `${c.classname ? `${c.classname}/` : ''}${c.name}${c.message ? ` (${clip(c.message)})` : ''}`).join('; ')}${failed.length > 4 ? '; …' : ''}`,
        details: failed.map((c) => `${c.classname ? `${c.classname}/` : ''}${c.name}: ${c.message ?? ''}${c.details ? `\n${c.details}` : ''}`).join('\n'),
        hint: 'npx zx scripts/smoke.mts prints the full report; the diagnostics bundle has pod logs and events',
        exitCode: EXIT.checkFailed,
      })
    }
    return { note: `${report.cases.length} checks passed` }
  },
}
