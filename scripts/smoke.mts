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
  'ca-file': string | undefined
}

const usage = (message: string) => new StepError({ step: 'flags', message, hint: 'see npx zx scripts/smoke.mts --help', exitCode: EXIT.usage })

await runCommand<SmokeFlags>({
  name: 'smoke',
  summary: 'endpoint smoke checks of the demo app (healthz, readyz, work, metrics), against a URL or the cluster',
  usage: '[--url <base-url>] [flags]',
  description: `
Without --url: for every environment in ENVIRONMENTS, reads ConfigMap demo-config (FAIL_RATE) and Secret
demo-secret (GREETING) in demo-<env>, reaches Service demo through a managed kubectl port-forward (and through
the gateway's HTTPS host port when it is up: SNI/Host <env>.demo.localhost), and checks /healthz, /readyz, /work,
/metrics; one plain-HTTP request through the gateway; plus Flux readiness, HPA metrics (metrics-server), Grafana,
Prometheus and its scrape targets. Environments run concurrently.
HTTPS: certificates are always verified, against the system trust store plus --ca-file (default: the platform's
local CA, <STATE_DIR>/tls/ca.crt, when it exists). There is no way to turn verification off (also not with
NODE_TLS_REJECT_UNAUTHORIZED=0); a rejected certificate fails the check naming the problem (unknown issuer, host
name mismatch, expired, not yet valid).
The /work check accepts the number of 5xx answers that FAIL_RATE explains: a binomial band with a 0.1%
false-alarm probability (--max-error-rate overrides it with a plain limit).
Exit 0 iff every check passes; the failing checks are named on stderr and in the report.`,
  without: ['dry-run'],
  flags: {
    url: { type: 'string', value: '<base-url>', description: 'check this base URL only (no cluster), e.g. http://127.0.0.1:8000 or https://127.0.0.1:8443' },
    'ca-file': { type: 'string', value: '<pem>', description: 'trust the CA certificate(s) in this PEM file for https, besides the system store (default: the platform\'s local CA)' },
    'ready-timeout': { type: 'number', value: '<seconds>', default: 60, above: 0, max: 86_400, description: 'how long /readyz may take to turn 200' },
    requests: { type: 'number', value: '<n>', default: 20, integer: true, min: 1, max: 100_000, description: 'how many /work calls' },
    'max-error-rate': { type: 'number', value: '<0..1>', min: 0, max: 1, description: 'fail /work when the share of 5xx answers exceeds this (default: 0.5 with --url; FAIL_RATE plus a binomial margin in the cluster)' },
    reporter: { type: 'string', value: '<name>', default: 'human', choices: REPORTERS, description: 'report format' },
    output: { type: 'string', value: '<file>', description: 'write the report to this file instead of stdout' },
    'expect-greeting': { type: 'string', value: '<text>', description: 'with --url: the exact greeting /work must return (in the cluster it comes from Secret demo-secret)' },
  },
  examples: [
    'npx zx scripts/smoke.mts',
    'npx zx scripts/smoke.mts --url http://127.0.0.1:8000 --requests 50',
    'npx zx scripts/smoke.mts --url https://127.0.0.1:9443 --ca-file ca.pem',
    'npx zx scripts/smoke.mts --reporter junit --output reports/smoke.xml',
    'npx zx scripts/smoke.mts --reporter json | jq \'.cases[] | select(.status=="failed")\'',
  ],
  async run(ctx) {
    const f = ctx.flags
    // bounds of the numbers are declared with the flags above (cli.mts checks them)
    const readyTimeout = f['ready-timeout']
    const rate = f['max-error-rate']
    if (f['expect-greeting'] !== undefined && !f.url) throw usage('--expect-greeting only applies with --url (in the cluster the greeting comes from Secret demo-secret)')
    let url: URL | undefined
    if (f.url) {
      try { url = new URL(f.url) } catch { throw usage(`--url ${f.url} is not a URL (e.g. http://127.0.0.1:8000)`) }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`--url ${f.url}: only http:// and https:// are supported`)
    }
    const caFile = f['ca-file']
    if (caFile !== undefined) {
      if (url?.protocol === 'http:') throw usage(`--ca-file only applies to https:// URLs (--url ${f.url} is plain http)`)
      const { readCaFile } = await import('./lib/tls/verify.mts')
      readCaFile(caFile)
    }
    if (process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0') ctx.ui.warn('smoke: NODE_TLS_REJECT_UNAUTHORIZED=0 is ignored: smoke always verifies certificates (use --ca-file to trust a CA)')
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
      caFile,
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
