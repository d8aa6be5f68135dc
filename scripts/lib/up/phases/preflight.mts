// preflight: doctor's checks before anything is created. Required failures stop up (missing tool exit code);
// warnings (low inotify limits, little memory or disk, kubectl skew) are printed so they are seen before the
// cluster is created, when they still explain a failure. Host ports are left to the ports phase.

import { loadVersions } from '../../shell/config.mts'
import { evaluateDoctor, type DoctorRow } from '../../doctor/evaluate.mts'
import { observe } from '../../doctor/observe.mts'
import { EXIT, StepError } from '../../shell/errors.mts'
import type { Phase } from '../types.mts'

const KIND_ONLY = new Set(['docker', 'kind', 'kind networkpolicy'])

export function preflightRows(rows: DoctorRow[], provider: string): DoctorRow[] {
  return rows.filter((r) => !r.check.startsWith('port ') && (provider === 'kind' || !KIND_ONLY.has(r.check)))
}

export const preflightPhase: Phase = {
  id: 'preflight',
  title: 'preflight checks',
  needs: [],
  async run(ctx) {
    const kind = ctx.config.provider === 'kind'
    const o = await observe(ctx.runner, ctx.config, ctx.stateDir, ctx.root, { kindTools: kind, probePorts: false, restartPolicies: false })
    if (o.helm) ctx.facts.helmVersion = o.helm
    const rows = preflightRows(evaluateDoctor(o, ctx.config, loadVersions(ctx.root)), ctx.config.provider)
    const failed = rows.filter((r) => r.required && r.status === 'fail')
    if (failed.length) {
      throw new StepError({
        step: 'preflight',
        message: `not ready: ${failed.map((r) => `${r.check} (${r.detail})`).join(', ')}`,
        hint: `${failed[0]!.fix ?? 'fix it'}${failed.length > 1 ? '; npx zx scripts/doctor.mts lists every fix' : ''}`,
        exitCode: failed.every((r) => r.hung) ? EXIT.timeout : EXIT.missingTool,
      })
    }
    const warnings = rows.filter((r) => r.status !== 'ok')
    for (const r of warnings) ctx.ui.warn(`${r.check}: ${r.detail}${r.fix ? ` — ${r.fix}` : ''}`)
    return { note: warnings.length ? `${warnings.length} warning(s): ${warnings.map((r) => r.check).join(', ')}` : 'ok' }
  },
}
