// scripts/load.mts as a user runs it, against the real demo app started as a process on a loopback port.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startApp, type RunningApp } from '../app/support.mts'
import { fakeEnv, REPO } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { consistentWith, errorRate } from '../../scripts/lib/load/stats.mts'

// a clean, non-interactive environment: no developer .env, plain log lines
const ENV = { ...process.env, PLATFORM_ENV_FILE: '/dev/null', CI: '1', NO_COLOR: '1' }

async function withApp(env: Record<string, string>, body: (app: RunningApp) => Promise<void>) {
  const app = await startApp(env)
  try { await body(app) } finally { await app.stop() }
}

test('FAIL_RATE=0.3: request count exact, error rate within the binomial interval, percentiles ordered', async () => {
  await withApp({ FAIL_RATE: '0.3' }, async (app) => {
    const r = await runScript('load', ['--url', app.base, '--requests', '400', '-c', '8', '--confidence', '0.999', '--json'], { env: ENV })
    assert.is(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.is(out.completed, 400)
    assert.is(out.sent, 400)
    assert.equal(Object.keys(out.statuses).sort(), Object.keys(out.statuses).filter((s: string) => s === '200' || s === '500').sort())
    assert.is((out.statuses['200'] ?? 0) + (out.statuses['500'] ?? 0), 400)
    assert.is(out.failures, out.statuses['500'] ?? 0)
    // independent check: 0.3 must be a plausible true rate for the observed count (99.9% Wilson interval)
    const e = errorRate(out.failures, 400, 0.999)
    assert.ok(consistentWith(e, 0.3), `observed ${out.failures}/400, interval ${e.low}..${e.high}`)
    // the reported interval is the same computation and brackets the observed rate
    assert.ok(out.errorRate.low <= out.errorRate.rate && out.errorRate.rate <= out.errorRate.high)
    assert.is(out.errorRate.confidence, 0.999)
    const l = out.latencyMs
    assert.ok(l.min > 0 && l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max, JSON.stringify(l))
    assert.ok(out.throughput > 0)
  })
})

test('human summary on stdout; --max-error-rate turns a bad run into exit 1, a clean one stays 0', async () => {
  await withApp({ FAIL_RATE: '1' }, async (app) => {
    const r = await runScript('load', ['--url', app.base, '--requests', '20', '-c', '2', '--max-error-rate', '0.5'], { env: ENV })
    assert.is(r.code, 1, r.stderr)
    assert.match(r.stdout, /requests\s+20 in/)
    assert.match(r.stdout, /error rate\s+100\.0%/)
    assert.match(r.stdout, /statuses\s+500: 20/)
    assert.match(r.stderr, /✖ load: error rate 100\.0% is above --max-error-rate 0\.5/)
    assert.not.match(r.stderr, /\bat .*\.mts:\d+/)
  })
  await withApp({ FAIL_RATE: '0' }, async (app) => {
    const r = await runScript('load', ['--url', app.base, '--requests', '30', '--max-error-rate', '0'], { env: ENV })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stdout, /ok 30, failed 0/)
    assert.match(r.stdout, /latency\s+min .* p50 .* p90 .* p99 .* max .* ms/)
  })
})

test('--duration: ends by itself, periodic plain live lines on stderr without a terminal', async () => {
  await withApp({ FAIL_RATE: '0.2' }, async (app) => {
    const r = await runScript('load', ['--url', app.base, '--duration', '1.5', '-c', '2', '--interval', '0.25'], { env: ENV, timeoutMs: 30_000 })
    assert.is(r.code, 0, r.stderr)
    const live = r.stderr.split('\n').filter((l) => /^\d\d:\d\d:\d\d .* req .* rps .*p99 .* err /.test(l))
    assert.ok(live.length >= 2, `live lines:\n${r.stderr}`)
    assert.not.match(r.stderr, /\r/) // no in-place refresh in logs
    assert.match(r.stdout, /requests\s+\d+ in/)
  })
})

test('--rate: open loop sends exactly --requests and reports the target rate', async () => {
  await withApp({}, async (app) => {
    const r = await runScript('load', ['--url', app.base, '--requests', '30', '--rate', '60', '-c', '4', '--json'], { env: ENV })
    assert.is(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.is(out.completed, 30)
    assert.is(out.rate, 60)
    assert.is(out.failures, 0)
  })
})

test('a refused target fails fast, naming the step and the URL, no stack trace', async () => {
  const r = await runScript('load', ['--url', 'http://127.0.0.1:9', '--requests', '5'], { env: ENV })
  assert.is(r.code, 1)
  assert.match(r.stderr, /✖ load\/target: no answer from http:\/\/127\.0\.0\.1:9\/work: ECONNREFUSED/)
  assert.not.match(r.stderr, /\bat .*\.mts:\d+/)
  assert.is(r.stdout, '')
})

test('usage errors exit 2 before sending anything', async () => {
  for (const args of [[], ['--url', 'http://127.0.0.1:9', '-c', '0'], ['--env', 'qa'], ['--url', 'ftp://x'], ['--url', 'http://127.0.0.1:9', '--rate', '-1'], ['--url', 'http://127.0.0.1:9', '--max-error-rate', '2']]) {
    const r = await runScript('load', args, { env: ENV })
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, /✖ flags: /)
  }
})

test('--help lists the flags and exits 0', async () => {
  const r = await runScript('load', ['--help'], { env: ENV })
  assert.is(r.code, 0)
  for (const f of ['--url', '--env', '--concurrency', '--duration', '--requests', '--rate', '--json', '--max-error-rate']) assert.ok(r.stdout.includes(f), f)
})

test('--env with --url: the HPA of demo-<env> is polled with kubectl and shown next to the load', async () => {
  const hpa = {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'demo', namespace: 'demo-dev' },
    spec: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] },
    status: { currentReplicas: 1, desiredReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 135, averageValue: '34m' } } }] },
  }
  const f = fakeEnv({ kube: { currentContext: 'kind-platform', contexts: { 'kind-platform': {} }, objects: { 'kind-platform': [hpa] } } }, { CI: '1' })
  try {
    await withApp({}, async (app) => {
      const r = await runScript('load', ['--url', app.base, '--env', 'dev', '--duration', '1.5', '-c', '2', '--interval', '0.3', '--hpa-interval', '1', '--json'], { env: f.env, timeoutMs: 30_000 })
      assert.is(r.code, 0, r.stderr)
      assert.match(r.stderr, /\| hpa cpu 135%\/70% replicas 1→2 \[1\.\.2\]/)
      const calls = f.calls('kubectl').map((c) => c.argv.join(' '))
      assert.ok(calls.length >= 1)
      for (const c of calls) assert.is(c, '--context kind-platform -n demo-dev get hpa demo -o json')
      const out = JSON.parse(r.stdout)
      assert.is(out.hpa.peakReplicas, 2)
      assert.is(out.hpa.last.currentReplicas, 1)
    })
  } finally {
    f.cleanup()
  }
})

test('--env: a kubectl slower than the whole run still gives the summary its HPA reading', async () => {
  const hpa = {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'demo', namespace: 'demo-dev' },
    spec: { minReplicas: 1, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] },
    status: { currentReplicas: 3, desiredReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } }] },
  }
  const f = fakeEnv({ kube: { currentContext: 'kind-platform', contexts: { 'kind-platform': {} }, objects: { 'kind-platform': [hpa] } } }, { CI: '1' })
  // kubectl answers only after the 20 requests are long done (a busy API server, a slow machine)
  const shims = fs.mkdtempSync(path.join(os.tmpdir(), 'load-slow-kubectl-'))
  fs.writeFileSync(path.join(shims, 'kubectl'), `#!/bin/sh\nsleep 3\nexec "${path.join(REPO, 'tests', 'fakes', 'bin', 'kubectl')}" "$@"\n`, { mode: 0o755 })
  try {
    await withApp({}, async (app) => {
      const r = await runScript('load', ['--url', app.base, '--env', 'dev', '--requests', '20', '-c', '2', '--json'], { env: { ...f.env, PATH: `${shims}:${f.env.PATH}` }, timeoutMs: 180_000 })
      assert.is(r.code, 0, r.stderr)
      assert.match(r.stderr, /\| hpa cpu 40%\/70% replicas 3 \[1\.\.4\]/)
      const out = JSON.parse(r.stdout)
      assert.is(out.completed, 20)
      assert.is(out.hpa.last.currentReplicas, 3)
      assert.is(out.hpa.failedPolls, 0)
    })
  } finally {
    f.cleanup()
    fs.rmSync(shims, { recursive: true, force: true })
  }
})

test('--env alone: load goes through a managed port-forward to demo-<env>/svc/demo, which is gone afterwards', async () => {
  await withApp({ FAIL_RATE: '0' }, async (app) => {
    const f = fakeEnv({ kube: { currentContext: 'kind-platform', contexts: { 'kind-platform': {} }, objects: {}, forwards: { 'demo-staging/svc/demo': app.base.replace('http://', '') } } }, { CI: '1' })
    try {
      const r = await runScript('load', ['--env', 'staging', '--requests', '50', '-c', '4', '--skip-hpa', '--json'], { env: f.env, timeoutMs: 30_000 })
      assert.is(r.code, 0, r.stderr)
      const out = JSON.parse(r.stdout)
      assert.is(out.completed, 50)
      assert.is(out.via, 'port-forward to demo-staging/svc/demo:80')
      assert.match(out.target, /^http:\/\/127\.0\.0\.1:\d+\/work$/)
      const calls = f.calls('kubectl').map((c) => c.argv.join(' '))
      assert.equal(calls.filter((c) => c.includes('get hpa')), [])
      assert.ok(calls.some((c) => /^--context kind-platform -n demo-staging port-forward --address 127\.0\.0\.1 svc\/demo \d+:80$/.test(c)), calls.join('\n'))
      const pids = fs.readFileSync(path.join(f.dir, 'port-forwards.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).pid as number)
      for (const pid of pids) {
        let gone = false
        for (let i = 0; i < 60 && !gone; i++) { try { process.kill(pid, 0); await new Promise((res) => setTimeout(res, 50)) } catch { gone = true } }
        assert.ok(gone, `port-forward ${pid} still running`)
      }
    } finally {
      f.cleanup()
    }
  })
})

test('Ctrl-C: stops the load, prints what was measured so far, exits 130', async () => {
  await withApp({}, async (app) => {
    const child = spawn(process.execPath, [path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), path.join(REPO, 'scripts', 'load.mts'), '--url', app.base, '--duration', '120', '-c', '2', '--interval', '0.2'], { cwd: REPO, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    const firstLine = new Promise<void>((resolve) => child.stderr.on('data', (d) => { stderr += d; if (/ req .* rps/.test(stderr)) resolve() }))
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    await firstLine
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
    clearTimeout(killer)
    assert.is(code, 130, stderr)
    assert.match(stdout, /requests\s+\d+ in/)
    assert.match(stderr, /interrupted/)
  })
})

test.run()
