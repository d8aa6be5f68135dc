#!/usr/bin/env zx
// doctor: is this machine ready for `up`? Tools and versions, Docker daemon, free host ports, kernel limits, disk.
import { printJson, runCommand } from './lib/shell/cli.mts'
import { paint } from './lib/shell/color.mts'
import { EXIT } from './lib/shell/errors.mts'
import { renderTable } from './lib/shell/ui.mts'

await runCommand({
  name: 'doctor',
  summary: 'check that this machine has what up needs (read-only)',
  without: ['dry-run'],
  examples: ['npx zx scripts/doctor.mts', 'npx zx scripts/doctor.mts --json | jq .rows'],
  async run(ctx) {
    // loaded here, not at the top: --help needs none of it
    const [{ loadVersions }, { doctorFailed, evaluateDoctor }, { observe }] = await Promise.all([
      import('./lib/shell/config.mts'), import('./lib/doctor/evaluate.mts'), import('./lib/doctor/observe.mts'),
    ])
    const o = await ctx.ui.step('checking tools, ports and limits', () => observe(ctx.runner, ctx.config, ctx.stateDir, ctx.root))
    const rows = evaluateDoctor(o, ctx.config, loadVersions(ctx.root))
    const failed = doctorFailed(rows)
    if (ctx.json) {
      printJson({ ok: !failed, rows })
    } else {
      const mark = { ok: paint.green(ctx.ui.color, 'ok'), warn: paint.yellow(ctx.ui.color, 'warn'), fail: paint.red(ctx.ui.color, 'FAIL') }
      process.stdout.write(`${renderTable(['check', 'status', 'detail', 'fix'], rows.map((r) => [r.check, mark[r.status], r.detail, r.status === 'ok' ? '' : r.fix ?? '']))}\n`)
    }
    if (failed) {
      const failedRows = rows.filter((r) => r.required && r.status === 'fail')
      ctx.ui.error(`doctor: not ready: ${failedRows.map((r) => `${r.check}${r.hung ? ' (not answering)' : ''}`).join(', ')} — apply the fixes above, then re-run doctor`)
      // only hung tools: a wait ran out (6), not a missing tool (3)
      return failedRows.every((r) => r.hung) ? EXIT.timeout : EXIT.missingTool
    }
    ctx.ui.success('doctor: ready for up')
  },
})
