// netpol: probe the network policies of the demo namespaces from inside the pods (the netpol helper's live
// prober) and compare with what the policies say; apps/netpol-assertions.yaml must hold too. Any mismatch
// fails up with the cells named; `npx zx scripts/netpol.mts` shows the full matrix.

import fs from 'node:fs'
import path from 'node:path'
import { EXIT, StepError } from '../../shell/errors.mts'
import { DEFAULT_ASSERTIONS_FILE, loadAssertionsFile, runProbes, summarize } from '../../netpol/index.mts'
import { kubeContext } from '../context.mts'
import type { Phase } from '../types.mts'

export const netpolPhase: Phase = {
  id: 'netpol',
  title: 'network-policy probes',
  needs: ['reconcile'],
  skipWhen: (ctx) => (ctx.dryRun ? 'dry-run: nothing deployed to probe' : false),
  async run(ctx) {
    const file = path.join(ctx.root, DEFAULT_ASSERTIONS_FILE)
    const assertions = fs.existsSync(file) ? loadAssertionsFile(file, ctx.root) : undefined
    const report = await runProbes(
      { runner: ctx.runner, config: { kubeContext: kubeContext(ctx), environments: ctx.config.environments }, ui: ctx.ui, signal: ctx.signal, dryRun: ctx.dryRun },
      assertions ? { assertions } : {},
    )
    const s = summarize(report)
    if (!report.ok) {
      const bad = report.cells.filter((c) => c.observed !== undefined && c.observed !== c.expected).slice(0, 5)
        .map((c) => `${c.from} -> ${c.to}:${c.port} ${c.observed ? 'allowed' : 'denied'} (expected ${c.expected ? 'allowed' : 'denied'})`)
      const failedAssertions = report.assertions.filter((a) => !a.ok).slice(0, 3).map((a) => `assertion ${a.name}: ${a.message ?? `${a.violations.length} violations`}`)
      throw new StepError({
        step: 'netpol',
        message: [
          s.mismatches ? `${s.mismatches} of ${s.probed} probes disagree with the policies: ${bad.join('; ')}` : '',
          s.unobserved ? `${s.unobserved} of ${s.cells} cells could not be probed (probe container not running? see the details)` : '',
          s.assertionsFailed ? `${s.assertionsFailed} of ${s.assertions} assertions fail` : '',
        ].filter(Boolean).join('; ') || 'the probe report is not ok',
        hint: 'npx zx scripts/netpol.mts --assert apps/netpol-assertions.yaml shows the expected vs observed matrix',
        exitCode: EXIT.checkFailed,
        details: [...bad, ...failedAssertions].join('\n'),
      })
    }
    return { note: `observed == expected for ${s.probed} probes${s.assertions ? `, ${s.assertions} assertions hold` : ''}` }
  },
}
