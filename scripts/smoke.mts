#!/usr/bin/env zx
// smoke: endpoint smoke checks of the demo app, against one URL (--url) or every environment in the cluster.
import { runCommand, type FlagValues } from './lib/shell/cli.mts'
import { EXIT, StepError } from './lib/shell/errors.mts'
import { caseId, emitReport, failedCases, isMachineReporter, REPORTERS, type ReporterName } from './lib/reporters/index.mts'
import { colorEnabled } from './lib/shell/color.mts'

interface SmokeFlags extends FlagValues {
  url: string | undefined
  'ready-timeout': number
  requests: number
  'max-error-rate': number | undefined
  reporter: string
  output: string | undefined
  'expect-greeting': string | undefined
}

const usage = (message: string) => new StepError({ step: 'flags', message, hint: 'see npx zx scripts/smoke.mts --help', exitCode: EXIT.usage })

await runCommand<SmokeFlags>({
  name: 'smoke',
  summary: 'endpoint smoke checks of the demo app (healthz, readyz, work, metrics), against a URL or the cluster',
  usage: '[--url <base-url>] [flags]',
  description: `
Without --url: for every environment in ENVIRONMENTS, reads ConfigMap demo-config (FAIL_RATE) and Secret
demo-secret (GREETING) in demo-<env>, reaches Service demo through a managed kubectl port-forward (and through
the gateway host port when it is up), and checks /healthz, /readyz, /work, /metrics; plus Flux readiness, HPA
metrics (metrics-server), Grafana, Prometheus and its scrape targets. Environments run concurrently.
The /work check accepts the number of 5xx answers that FAIL_RATE explains: a binomial band with a 0.1%
false-alarm probability (--max-error-rate overrides it with a plain limit).
Exit 0 iff every check passes; the failing checks are named on stderr and in the report.`,
  without: ['dry-run'],
  flags: {
    url: { type: 'string', value: '<base-url>', description: 'check this base URL only (no cluster), e.g. http://127.0.0.1:8000' },
    'ready-timeout': { type: 'number', value: '<seconds>', default: 60, description: 'how long /readyz may take to turn 200' },
    requests: { type: 'number', value: '<n>', default: 20, description: 'how many /work calls' },
    'max-error-rate': { type: 'number', value: '<0..1>', description: 'fail /work when the share of 5xx answers exceeds this (default: 0.5 with --url; FAIL_RATE plus a binomial margin in the cluster)' },
    reporter: { type: 'string', value: '<name>', default: 'human', choices: REPORTERS, description: 'report format' },
    output: { type: 'string', value: '<file>', description: 'write the report to this file instead of stdout' },
    'expect-greeting': { type: 'string', value: '<text>', description: 'with --url: the exact greeting /work must return (in the cluster it comes from Secret demo-secret)' },
  },
  examples: [
    'npx zx scripts/smoke.mts',
    'npx zx scripts/smoke.mts --url http://127.0.0.1:8000 --requests 50',
    'npx zx scripts/smoke.mts --reporter junit --output reports/smoke.xml',
    'npx zx scripts/smoke.mts --reporter json | jq \'.cases[] | select(.status=="failed")\'',
  ],
  async run(ctx) {
    const f = ctx.flags
    const readyTimeout = f['ready-timeout']
    if (!(readyTimeout > 0)) throw usage(`--ready-timeout ${readyTimeout} must be a number of seconds > 0`)
    if (!Number.isInteger(f.requests) || f.requests < 1 || f.requests > 100_000) throw usage(`--requests ${f.requests} must be a whole number from 1 to 100000`)
    const rate = f['max-error-rate']
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw usage(`--max-error-rate ${rate} must be within 0..1`)
    if (f['expect-greeting'] !== undefined && !f.url) throw usage('--expect-greeting only applies with --url (in the cluster the greeting comes from Secret demo-secret)')
    let url: URL | undefined
    if (f.url) {
      try { url = new URL(f.url) } catch { throw usage(`--url ${f.url} is not a URL (e.g. http://127.0.0.1:8000)`) }
      if (url.protocol !== 'http:') throw usage(`--url ${f.url}: only http:// is supported`)
    }
    // --json is the global spelling of --reporter json
    const reporter = (ctx.json && f.reporter === 'human' ? 'json' : f.reporter) as ReporterName
    if (isMachineReporter(reporter) && !f.output) ctx.ui.info(`smoke: ${reporter} report on stdout, logs on stderr`)

    // loaded here, not at the top: --help needs none of it
    const { DEFAULTS, runSmoke } = await import('./lib/smoke/run.mts')
    const report = await runSmoke(ctx, {
      url: url ? f.url : undefined,
      readyTimeoutMs: readyTimeout * 1000,
      requests: f.requests,
      maxErrorRate: rate,
      expectGreeting: f['expect-greeting'],
      requestTimeoutMs: Math.min(DEFAULTS.requestTimeoutMs, readyTimeout * 1000),
    })
    emitReport(report, reporter, { output: f.output, color: colorEnabled(process.stdout) })
    if (f.output) ctx.ui.info(`smoke: ${reporter} report written to ${f.output}`)
    const failed = failedCases(report)
    if (failed.length) {
      throw new StepError({
        step: 'smoke',
        message: `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map(caseId).join(', ')}`,
        hint: f.url ? 'see the report for each failure' : 'see the report; kubectl get pods,events -n demo-<env> shows the app side',
        exitCode: EXIT.checkFailed,
      })
    }
    ctx.ui.success(`smoke: all ${report.cases.filter((c) => !c.skipped).length} checks passed`)
  },
})
