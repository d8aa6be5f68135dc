// Pure parts of load: flag validation into a plan, HPA parsing/formatting, the live line and the summary.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatHpa, observeHpa, emptyTimeline, parseHpa } from '../../scripts/lib/load/hpa.mts'
import { resolvePlan, targetUrl } from '../../scripts/lib/load/plan.mts'
import { LoadRecorder, isFailure } from '../../scripts/lib/load/recorder.mts'
import { liveLine, summaryText } from '../../scripts/lib/load/render.mts'

test('plan: a run always has a bound; both bounds kept; HPA only with --env', () => {
  const p = resolvePlan({ url: 'http://127.0.0.1:8000' })
  assert.is(p.durationMs, 30_000)
  assert.is(p.requests, undefined)
  assert.is(p.concurrency, 10)
  assert.is(p.path, '/work')
  assert.is(p.hpa, false)
  const both = resolvePlan({ url: 'http://127.0.0.1:8000', duration: 5, requests: 100 })
  assert.is(both.durationMs, 5000)
  assert.is(both.requests, 100)
  const onlyN = resolvePlan({ url: 'http://x', requests: 7 })
  assert.is(onlyN.durationMs, undefined)
  assert.is(resolvePlan({ env: 'dev' }).hpa, true)
  assert.is(resolvePlan({ env: 'dev', 'skip-hpa': true }).hpa, false)
  assert.is(resolvePlan({ env: 'staging', url: 'http://staging.demo.localhost:8080' }).env, 'staging')
})

test('plan: bad values name the flag', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{}, /--url <base>.*--env/],
    [{ env: 'qa' }, /--env qa is not one of dev, staging, production/],
    [{ url: 'nope' }, /--url nope is not a URL/],
    [{ url: 'ftp://h' }, /must start with http/],
    [{ url: 'http://h', concurrency: 2.5 }, /--concurrency 2.5 is not an integer/],
    [{ url: 'http://h', concurrency: 5000 }, /--concurrency 5000/],
    [{ url: 'http://h', requests: 0 }, /--requests 0/],
    [{ url: 'http://h', duration: -3 }, /--duration -3/],
    [{ url: 'http://h', rate: 0 }, /--rate 0/],
    [{ url: 'http://h', path: 'work' }, /--path work must start with \//],
    [{ url: 'http://h', 'max-error-rate': 1.5 }, /--max-error-rate 1.5/],
    [{ url: 'http://h', confidence: 1 }, /--confidence 1/],
    [{ url: 'http://h', 'hpa-interval': 0.5 }, /--hpa-interval 0.5 is below 1 second/],
  ]
  for (const [flags, re] of bad) assert.throws(() => resolvePlan(flags as never), re, JSON.stringify(flags))
})

test('targetUrl keeps a base path prefix', () => {
  assert.is(targetUrl('http://127.0.0.1:8000', '/work').href, 'http://127.0.0.1:8000/work')
  assert.is(targetUrl('http://h/prefix/', '/work').href, 'http://h/prefix/work')
})

const hpaJson = (status: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'demo', namespace: 'demo-dev' },
  spec: {
    minReplicas: 1, maxReplicas: 2,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
    ],
  },
  status,
  ...extra,
})

test('HPA: current vs target per resource, replicas and their change', () => {
  const h = parseHpa(hpaJson({
    currentReplicas: 1, desiredReplicas: 2,
    currentMetrics: [
      { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 135, averageValue: '34m' } } },
      { type: 'Resource', resource: { name: 'memory', current: { averageUtilization: 41, averageValue: '80Mi' } } },
    ],
  }))
  assert.equal(h.metrics, [{ name: 'cpu', unit: '%', current: 135, target: 70 }, { name: 'memory', unit: '%', current: 41, target: 80 }])
  assert.is(formatHpa(h), 'cpu 135%/70% memory 41%/80% replicas 1→2 [1..2]')
})

test('HPA without metrics yet (metrics-server starting): unknown current, the reason shown', () => {
  const h = parseHpa(hpaJson({
    currentReplicas: 1, desiredReplicas: 1,
    conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale' }, { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'the HPA was unable to compute the replica count: unable to get metrics for resource cpu: no metrics returned from resource metrics API' }],
  }))
  assert.is(h.problem?.startsWith('FailedGetResourceMetric: the HPA was unable'), true)
  assert.is(formatHpa(h), 'cpu ?/70% memory ?/80% replicas 1 [1..2] (FailedGetResourceMetric)')
  assert.throws(() => parseHpa('{"kind":"Deployment"}'), /not a HorizontalPodAutoscaler/)
  assert.throws(() => parseHpa('not json'))
})

test('HPA timeline: peak and replica changes with their time', () => {
  const at = (n: number, d = n) => parseHpa(hpaJson({ currentReplicas: n, desiredReplicas: d }))
  let t = emptyTimeline()
  t = observeHpa(t, at(1), 0)
  t = observeHpa(t, at(1, 2), 5000)
  t = observeHpa(t, undefined, 10_000)
  t = observeHpa(t, at(2), 15_000)
  assert.is(t.peakReplicas, 2)
  assert.equal(t.changes, [{ atMs: 15_000, from: 1, to: 2 }])
  assert.is(t.polls, 4)
  assert.is(t.failedPolls, 1)
  assert.is(t.first?.currentReplicas, 1)
})

test('recorder + render: failures are no answer or >= 400; live line and summary show the numbers', () => {
  assert.ok(isFailure({ status: 500 }))
  assert.ok(isFailure({ status: 404 }))
  assert.ok(isFailure({ error: 'ECONNRESET' }))
  assert.not.ok(isFailure({ status: 200 }))
  assert.not.ok(isFailure({ status: 302 }))
  const r = new LoadRecorder(0)
  // latencies below 0.128 ms are stored exactly by the histogram, so the percentiles here are exact
  for (let i = 1; i <= 10; i++) r.add({ latencyMs: i / 100, status: i <= 7 ? 200 : 500, at: i * 100 })
  r.add({ latencyMs: 0.12, error: 'timeout', at: 1100 })
  const live = r.live(2000)
  assert.is(live.completed, 11)
  assert.is(live.failures, 4)
  assert.is(live.recent?.p50, 0.06)
  assert.is(live.recent?.p99, 0.12)
  assert.match(liveLine(live), /2\.0s\s+11 req\s+5\.5 rps\s+p50 0\.06 p90 0\.10 p99 0\.12 ms\s+err 36\.4%/)
  assert.match(liveLine(live, { error: 'error: context "kind-platform" does not exist' }), /\| hpa unavailable \(error: context "kind-platform" does not exist\)$/)
  // a new interval starts after each live snapshot
  assert.is(r.live(2500).recent, undefined)
  const s = r.summary(2000)
  assert.equal(s.statuses, { 200: 7, 500: 3 })
  assert.equal(s.errors, { timeout: 1 })
  assert.is(s.throughput, 5.5)
  const text = summaryText(s, { url: 'http://127.0.0.1:1/work', concurrency: 2 })
  assert.match(text, /requests\s+11 in 2\.0s \(ok 7, failed 4\)/)
  assert.match(text, /no answer\s+timeout: 1/)
  assert.match(text, /error rate\s+36\.4% \(95% CI /)
})

test.run()
