#!/usr/bin/env zx
// forward: port-forwards to Grafana, Prometheus and each environment's app on local ports, kept alive until
// Ctrl-C. Replaces the `kubectl port-forward svc/... 8080:80 &` lines of the seed READMEs.
import fs from 'node:fs'
import { printJson, runCommand, type FlagValues } from './lib/shell/cli.mts'
import { EXIT, StepError } from './lib/shell/errors.mts'
import { MAX_CONSECUTIVE_FAILURES } from './lib/forward/backoff.mts'
import { describeTarget, fixedPorts, grafanaLoginHint, selectTargets } from './lib/forward/targets.mts'
import { renderTable } from './lib/shell/ui.mts'

interface ForwardFlags extends FlagValues {
  only: string[] | undefined
  for: number | undefined
  check: boolean
  retries: number
}

const portFlag = (name: string) => ({ type: 'number' as const, value: '<port>', integer: true, min: 1, max: 65535, description: `fixed local port for ${name} (default: a free one)` })

await runCommand<ForwardFlags>({
  name: 'forward',
  summary: 'open port-forwards to Grafana, Prometheus and the demo app of each environment, and keep them alive',
  usage: '[--only <name,...>] [--<name>-port <port>] [--for <seconds> | --check]',
  description: `
Targets: grafana (monitoring/svc/kube-prometheus-stack-grafana:80), prometheus
(monitoring/svc/kube-prometheus-stack-prometheus:9090) and dev/staging/production (demo-<env>/svc/demo:80, for
the environments in ENVIRONMENTS). Each gets a local port on 127.0.0.1 (free, or fixed with --<name>-port) and
keeps it: a forward that drops (pod restarted, rollout) is re-established on the same port with backoff. Live
forwards are recorded in <state dir>/forwards.json (down stops them). Ctrl-C closes them all.`,
  flags: {
    only: { type: 'string', multiple: true, value: '<name,...>', description: 'open only these (grafana, prometheus, dev, staging, production)' },
    'grafana-port': portFlag('Grafana'),
    'prometheus-port': portFlag('Prometheus'),
    'dev-port': portFlag('the dev app'),
    'staging-port': portFlag('the staging app'),
    'production-port': portFlag('the production app'),
    for: { type: 'number', value: '<seconds>', above: 0, max: 86_400, description: 'close everything and exit 0 after this long (scripts, tests)' },
    check: { type: 'boolean', description: 'open, check that each answers its health URL, close, exit (0 iff all answer)' },
    retries: { type: 'number', value: '<n>', default: MAX_CONSECUTIVE_FAILURES, integer: true, min: 1, max: 1000, description: 'failed attempts in a row to re-establish a dropped forward before giving up on it (0.5s, 1s, 2s ... 10s apart)' },
  },
  examples: [
    'npx zx scripts/forward.mts',
    'npx zx scripts/forward.mts --only grafana,dev --grafana-port 3000',
    'npx zx scripts/forward.mts --check          # CI: can every UI be reached?',
  ],
  async run(ctx) {
    // loaded here, not at the top: --help needs none of it
    const [{ checkForwards }, { forwardsFile }, { noForwardError, openForwards }, { grafanaPasswordFile }] = await Promise.all([
      import('./lib/forward/check.mts'), import('./lib/forward/registry.mts'), import('./lib/forward/supervisor.mts'), import('./lib/secrets/grafana.mts'),
    ])
    const targets = selectTargets(ctx.config.environments, ctx.flags.only)
    const ports = fixedPorts(targets, ctx.flags)
    const context = ctx.config.kubeContext
    if (ctx.dryRun) {
      for (const t of targets) process.stderr.write(`[dry-run] kubectl --context ${context} -n ${t.namespace} port-forward --address 127.0.0.1 svc/${t.service} ${ports.get(t.name) ?? '<free port>'}:${t.remotePort}\n`)
      return
    }
    // `down` stops what forwards.json lists, but only processes whose command line is a port-forward (pids get
    // reused). Naming this process so lets down stop the supervisor too instead of racing its re-establishing.
    process.title = 'platform forward: port-forward supervisor'

    const log = (line: string, level: 'info' | 'warn' | 'ok' = 'info') => (level === 'warn' ? ctx.ui.warn(line) : level === 'ok' ? ctx.ui.success(line) : ctx.ui.info(line))
    const sup = await ctx.ui.step(`opening ${targets.length} port-forward${targets.length === 1 ? '' : 's'} (${context})`, () =>
      openForwards({ runner: ctx.runner, context, stateDir: ctx.stateDir, targets, ports, signal: ctx.signal, log, maxFailures: ctx.flags.retries }))
    ctx.onCleanup(() => sup.stop())
    for (const f of sup.failed) ctx.ui.warn(`${f.target.name}: ${f.error}`)
    if (sup.forwards.length === 0) throw noForwardError(sup.failed)

    const pwFile = grafanaPasswordFile(ctx.stateDir)
    const grafana = sup.forwards.some((f) => f.target.name === 'grafana')
      ? grafanaLoginHint({ passwordFile: pwFile, passwordFileExists: fs.existsSync(pwFile), context, root: ctx.root })
      : []

    if (ctx.flags.check) {
      const results = await checkForwards(sup.forwards)
      await sup.stop()
      const bad = results.filter((r) => !r.ok)
      if (ctx.json) printJson({ ok: bad.length === 0 && sup.failed.length === 0, forwards: results, failed: sup.failed.map((f) => ({ name: f.target.name, error: f.error })) })
      else process.stdout.write(`${renderTable(['name', 'url', 'target', 'check'], results.map((r) => [r.name, r.url, r.target, r.ok ? `ok (${r.status})` : `FAIL ${r.detail}`]))}\n`)
      if (bad.length || sup.failed.length) {
        throw new StepError({ step: 'forward/check', message: `not reachable: ${[...bad.map((r) => r.name), ...sup.failed.map((f) => f.target.name)].join(', ')}`, hint: 'npx zx scripts/smoke.mts names what is not ready', exitCode: EXIT.checkFailed })
      }
      return
    }

    if (ctx.json) {
      printJson({
        forwards: sup.forwards.map((f) => ({ name: f.target.name, url: f.url, port: f.port, target: describeTarget(f.target), pid: f.pid })),
        failed: sup.failed.map((f) => ({ name: f.target.name, error: f.error })),
        ...(grafana.length ? { grafana: { user: 'admin', passwordFile: fs.existsSync(pwFile) ? pwFile : undefined, secret: 'monitoring/grafana-admin' } } : {}),
        forwardsFile: forwardsFile(ctx.stateDir),
      })
    } else {
      process.stdout.write(`${renderTable(['name', 'url', 'target'], sup.forwards.map((f) => [f.target.name, f.url, describeTarget(f.target)]))}\n`)
      for (const line of grafana) process.stdout.write(`${line}\n`)
    }
    ctx.ui.info(`keeping ${sup.forwards.length} forward${sup.forwards.length === 1 ? '' : 's'} alive${ctx.flags.for ? ` for ${ctx.flags.for}s` : ''}; Ctrl-C closes them`)

    const until = ctx.flags.for !== undefined ? new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ctx.flags.for! * 1000).unref()) : new Promise<never>(() => {})
    const outcome = await Promise.race([sup.supervise(), until])
    await sup.stop()
    if (outcome === 'timeout' || ctx.signal.aborted) return
    if (outcome.givenUp.length) {
      throw new StepError({ step: 'forward', message: `gave up re-establishing ${outcome.givenUp.join(', ')}`, hint: 'is the cluster still up? npx zx scripts/smoke.mts checks the platform; re-run forward when it is', exitCode: EXIT.commandFailed })
    }
    if (outcome.removed.length) ctx.ui.info(`stopped from outside (removed from forwards.json): ${outcome.removed.join(', ')}; exiting`)
  },
})
