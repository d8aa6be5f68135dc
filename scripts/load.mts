#!/usr/bin/env zx
// load: HTTP load at the demo app's /work with live throughput, latency percentiles, error rate and the HPA,
// then a summary. Replaces `kubectl port-forward ... & ab -n 10000 -c 100 http://localhost:8080/`.
import { printJson, runCommand, type FlagValues } from './lib/shell/cli.mts'
import type { LoadFlags } from './lib/load/plan.mts'
import type { SessionResult } from './lib/load/session.mts'

await runCommand<LoadFlags & FlagValues>({
  name: 'load',
  summary: "drive HTTP load at an environment's /work and watch latency, errors and the autoscaler react",
  usage: '(--url <base> | --env <env>) [--concurrency <n>] [--duration <s> | --requests <n>] [--rate <rps>] [flags]',
  description: `
Prints one live line (refreshed in place on a terminal, every 5s otherwise): completed requests, throughput,
latency p50/p90/p99 of the last interval, error rate and, with --env, the HPA's current/target utilisation and
replicas. Ends by itself after --duration seconds (default 30) or --requests requests, whichever comes first,
and prints a summary (stdout; --json for machine use). A request fails when no answer comes or the status is
>= 400. Without --rate each worker sends its next request when the previous one is answered (closed loop);
with --rate requests are sent on a fixed schedule and latency counts from the scheduled time.
A port-forward (--env alone) reaches ONE pod of the Service; to spread load over every replica the way users
do, go through the gateway: --url http://<env>.demo.localhost:<INGRESS_HTTP_PORT> --env <env>.`,
  flags: {
    url: { type: 'string', value: '<base>', description: 'base URL of a running app, e.g. http://127.0.0.1:8000 (no port-forward)' },
    env: { type: 'string', value: '<env>', choices: ['dev', 'staging', 'production'], description: 'environment in the cluster: port-forward to demo-<env>/svc/demo (unless --url is given too) and watch its HPA' },
    path: { type: 'string', value: '<path>', default: '/work', description: 'request path' },
    concurrency: { type: 'number', alias: 'c', value: '<n>', default: 10, integer: true, min: 1, max: 1000, description: 'parallel workers (at most this many requests in flight)' },
    duration: { type: 'number', alias: 'd', value: '<s>', above: 0, max: 86_400, description: 'stop after this many seconds (default 30 when --requests is not given)' },
    requests: { type: 'number', alias: 'n', value: '<n>', integer: true, min: 1, max: 1_000_000_000, description: 'stop after this many requests' },
    rate: { type: 'number', value: '<rps>', above: 0, max: 100_000, description: 'open loop: send this many requests per second in total' },
    timeout: { type: 'number', value: '<s>', default: 10, above: 0, max: 600, description: 'per-request timeout' },
    interval: { type: 'number', value: '<s>', above: 0, max: 3600, description: 'live line period (default 1 on a terminal, 5 otherwise)' },
    'hpa-interval': { type: 'number', value: '<s>', default: 5, min: 1, max: 3600, description: 'how often to read the HPA with kubectl' },
    'skip-hpa': { type: 'boolean', description: 'do not watch the HPA (with --env)' },
    'max-error-rate': { type: 'number', value: '<0..1>', min: 0, max: 1, description: 'exit 1 when the observed error rate is above this' },
    confidence: { type: 'number', value: '<0..1>', default: 0.95, above: 0, below: 1, description: 'confidence level of the error-rate interval in the summary' },
  },
  examples: [
    'npx zx scripts/load.mts --url http://127.0.0.1:8000 --requests 500 -c 20',
    'npx zx scripts/load.mts --env dev --duration 120 -c 50          # watch the HPA scale up',
    'npx zx scripts/load.mts --env staging --rate 200 --duration 60 --json > load.json',
    'npx zx scripts/load.mts --url http://dev.demo.localhost:8080 --env dev   # through the gateway, HPA of dev',
  ],
  async run(ctx) {
    // loaded here, not at the top: --help needs none of it
    const [{ resolvePlan }, { preflight, startSession, summaryJson, verdict }, { openLoadTarget }] = await Promise.all([
      import('./lib/load/plan.mts'), import('./lib/load/session.mts'), import('./lib/load/target.mts'),
    ])
    const plan = resolvePlan(ctx.flags)
    const target = await openLoadTarget(ctx, plan)
    if (ctx.dryRun) {
      process.stderr.write(`[dry-run] would send load to ${target.base}${plan.path}; nothing sent\n`)
      return
    }
    await preflight(new URL(`${target.base.replace(/\/+$/, '')}${plan.path}`), plan.timeoutMs, ctx.signal)
    const session = startSession({ plan, base: target.base, ...(target.via ? { via: target.via } : {}), runner: ctx.runner, context: ctx.config.kubeContext, signal: ctx.signal, log: process.stderr })
    let printed = false
    const print = (r: SessionResult) => {
      if (printed) return
      printed = true
      if (ctx.json) printJson(summaryJson(r))
      else process.stdout.write(r.text)
    }
    // Ctrl-C: still show what was measured
    ctx.onCleanup(() => print(session.partial()))
    const result = await session.done
    print(result)
    const bad = verdict(result, plan.maxErrorRate)
    if (bad) throw bad
  },
})
