// Statistics of scripts/lib/load/stats.mts on inputs whose answers are known by hand.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { consistentWith, errorRate, HIGHEST_US, LatencyHistogram, normalQuantile, percentile, RateWindow } from '../../scripts/lib/load/stats.mts'

const close = (a: number, b: number, eps: number, msg?: string) => assert.ok(Math.abs(a - b) <= eps, `${msg ?? ''} ${a} != ${b} ± ${eps}`)

test('percentile: nearest rank on 1..100 and on small samples', () => {
  const s = Array.from({ length: 100 }, (_, i) => i + 1)
  assert.is(percentile(s, 50), 50)
  assert.is(percentile(s, 90), 90)
  assert.is(percentile(s, 99), 99)
  assert.is(percentile(s, 100), 100)
  assert.is(percentile(s, 0), 1)
  assert.is(percentile(s, 99.5), 100)
  // 5 values: p50 is the 3rd, p90 and p99 the 5th (rank = ceil(p * n))
  const five = [10, 20, 30, 40, 50]
  assert.is(percentile(five, 50), 30)
  assert.is(percentile(five, 90), 50)
  assert.is(percentile(five, 20), 10)
  assert.is(percentile(five, 21), 20)
  assert.is(percentile([], 50), undefined)
  assert.throws(() => percentile(five, 101), /not in \[0, 100\]/)
})

// HdrHistogram with 3 significant digits: a reported value is never below the true one and at most 1/1024 above
const PRECISION = 1 / 1024

test('histogram: exact below 2048 us; every value up to an hour within the precision, never below', () => {
  const h = new LatencyHistogram()
  const p50Of = (us: number) => {
    h.reset()
    h.record(us / 1000)
    h.record(us / 1000)
    h.record((us * 1.5) / 1000) // a larger max, so the clamp to [min, max] does not hide the bucket's rounding
    return h.percentile(50)! * 1000
  }
  for (let us = 1; us < 2048; us++) close(p50Of(us), us, 1e-9, `exact range at ${us} us:`)
  for (let us = 2048; us < 3_600_000_000; us = Math.floor(us * 1.01) + 1) {
    const got = p50Of(us)
    assert.ok(got >= us - 1e-6, `${us} us reported as ${got}`)
    assert.ok(got <= us * (1 + PRECISION) + 1e-6, `${us} us reported as ${got}: relative error above ${PRECISION}`)
  }
})

test('histogram percentiles match the exact sorted-sample percentiles within its precision', () => {
  // a skewed latency sample: mostly 1-5 ms, a tail to 900 ms (deterministic LCG, no Math.random)
  let x = 12345
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const values = Array.from({ length: 20_000 }, () => (rnd() < 0.97 ? 1 + rnd() * 4 : 5 + rnd() ** 3 * 895))
  const h = new LatencyHistogram()
  for (const v of values) h.record(v)
  const sorted = values.map((v) => Math.round(v * 1000) / 1000).sort((a, b) => a - b)
  // p% of 20 000 is a whole number for each of these, where nearest rank and HdrHistogram's rank agree
  for (const p of [1, 10, 50, 90, 95, 99, 99.9, 100]) {
    const exact = percentile(sorted, p)!
    const approx = h.percentile(p)!
    assert.ok(approx >= exact - 1e-9, `p${p}: ${approx} below exact ${exact}`)
    assert.ok(approx <= exact * (1 + PRECISION) + 1e-9, `p${p}: ${approx} too far above ${exact}`)
  }
  const snap = h.snapshot()
  assert.is(snap.count, 20_000)
  close(snap.min, sorted[0]!, 0.001)
  close(snap.max, sorted.at(-1)!, 0.001)
  close(snap.mean, values.reduce((a, b) => a + b, 0) / values.length, 0.001)
})

test('histogram: a latency beyond its range is clamped, never dropped; sub-microsecond counts', () => {
  const h = new LatencyHistogram()
  h.record(0)
  h.record(0.0004)
  h.record((HIGHEST_US * 3) / 1000)
  assert.is(h.count, 3)
  assert.is(h.percentile(0), 0)
  assert.is(h.percentile(100), HIGHEST_US / 1000)
  assert.is(h.snapshot().max, HIGHEST_US / 1000)
})

test('normalQuantile: textbook z values', () => {
  close(normalQuantile(0.975), 1.959964, 1e-6)
  close(normalQuantile(0.995), 2.575829, 1e-6)
  close(normalQuantile(0.5), 0, 1e-12)
  close(normalQuantile(0.001), -3.090232, 1e-6)
  assert.throws(() => normalQuantile(1))
})

test('errorRate: Wilson interval against published values', () => {
  // 30 failures in 100 trials, 95%: Wilson [0.2189, 0.3958] (e.g. Newcombe 1998, method 3)
  const e = errorRate(30, 100)
  close(e.rate, 0.3, 1e-12)
  close(e.low, 0.2189, 1e-4)
  close(e.high, 0.3958, 1e-4)
  assert.ok(consistentWith(e, 0.3))
  assert.not.ok(consistentWith(e, 0.5))
  // 0 of 20: rate 0 but the upper end is far from 0 (about 0.161)
  const none = errorRate(0, 20)
  assert.is(none.low, 0)
  close(none.high, 0.1611, 1e-4)
  // all failed: upper bound exactly 1
  assert.is(errorRate(10, 10).high, 1)
  // more confidence -> wider
  const wide = errorRate(30, 100, 0.999)
  assert.ok(wide.low < e.low && wide.high > e.high)
  // no trials: nothing is known
  assert.equal(errorRate(0, 0), { rate: 0, low: 0, high: 1, confidence: 0.95, failures: 0, trials: 0 })
  assert.throws(() => errorRate(3, 2), /failures/)
  assert.throws(() => errorRate(1.5, 2), /integers/)
})

test('errorRate: a simulated FAIL_RATE=0.3 lands inside its 99.9% interval in almost every run', () => {
  let x = 42
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  let misses = 0
  const runs = 2000
  for (let r = 0; r < runs; r++) {
    let fails = 0
    for (let i = 0; i < 300; i++) if (rnd() < 0.3) fails++
    if (!consistentWith(errorRate(fails, 300, 0.999), 0.3)) misses++
  }
  // expected about 0.1% of runs; allow up to 1% (deterministic generator, so this never flakes)
  assert.ok(misses <= runs * 0.01, `misses: ${misses}`)
})

test('RateWindow: steady 50/s reads 50/s; counts leave the window; partial start', () => {
  const w = new RateWindow(5000, 100, 0)
  for (let t = 0; t < 10_000; t += 20) w.add(t) // 50 per second
  close(w.rate(10_000), 50, 1.5)
  // nothing new for 5 s: rate drops to 0
  assert.is(w.rate(15_100), 0)
  // right after the start the rate is over the elapsed time, not the whole window
  const s = new RateWindow(5000, 100, 1000)
  for (let t = 1000; t < 1500; t += 10) s.add(t) // 50 events in 0.5 s
  close(s.rate(1500), 100, 5)
})

test.run()
