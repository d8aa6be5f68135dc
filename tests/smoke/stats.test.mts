// The /work ratio band: a healthy app at FAIL_RATE p fails the check with probability <= alpha, for any n and p.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { binomialPmf, failureBand, maxFailuresForRate } from '../../scripts/lib/smoke/stats.mts'
import { limitFor } from '../../scripts/lib/smoke/run.mts'

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

test('pmf sums to 1 and matches known values, also for large n (no underflow)', () => {
  const p = binomialPmf(4, 0.5)
  assert.equal(p.map((x) => Math.round(x * 16)), [1, 4, 6, 4, 1])
  for (const [n, q] of [[20, 0.2], [1000, 0.05], [20000, 0.5]] as const) assert.ok(Math.abs(sum(binomialPmf(n, q)) - 1) < 1e-9, `${n},${q}`)
  assert.equal(binomialPmf(3, 0), [1, 0, 0, 0])
  assert.equal(binomialPmf(3, 1), [0, 0, 0, 1])
  assert.throws(() => binomialPmf(3, 1.5), /p must be within 0..1/)
})

test('the band keeps the false-alarm probability under alpha, and is the narrowest such band', () => {
  for (const n of [1, 5, 20, 100, 1000]) {
    for (const p of [0, 0.01, 0.05, 0.2, 0.5, 0.9, 1]) {
      for (const alpha of [0.001, 0.05]) {
        const b = failureBand(n, p, alpha)
        const pmf = binomialPmf(n, p)
        const outside = sum(pmf.slice(0, b.min)) + sum(pmf.slice(b.max + 1))
        assert.ok(outside <= alpha + 1e-12, `n=${n} p=${p}: P(outside)=${outside}`)
        assert.ok(b.min <= b.max)
        // one tighter on the upper side would exceed alpha/2 there
        if (b.max > 0) assert.ok(sum(pmf.slice(b.max)) > alpha / 2 - 1e-12, `n=${n} p=${p}: max not tight`)
      }
    }
  }
})

test('the cases people meet: FAIL_RATE 0 allows no failure, 1 demands all, dev 0.2 at 20 calls', () => {
  assert.equal([failureBand(20, 0).min, failureBand(20, 0).max], [0, 0])
  assert.equal([failureBand(20, 1).min, failureBand(20, 1).max], [20, 20])
  const dev = failureBand(20, 0.2)
  assert.is(dev.min, 0) // 0 failures out of 20 happens 1.2% of the time: not evidence of anything at alpha 0.1%
  assert.ok(dev.max >= 10 && dev.max <= 13, String(dev.max))
  // more calls, tighter relative band: a broken config becomes detectable
  const big = failureBand(2000, 0.2)
  assert.ok(big.min > 300 && big.max < 500, JSON.stringify(big))
})

test('--max-error-rate: the share may equal the limit but not exceed it', () => {
  assert.is(maxFailuresForRate(20, 0.5), 10)
  assert.is(maxFailuresForRate(6, 0.5), 3)
  assert.is(maxFailuresForRate(3, 0.1), 0)
  assert.is(maxFailuresForRate(10, 0.3), 3) // 10 * 0.3 is 2.9999999999999996 in floating point
  assert.equal(limitFor(20, { alpha: 0.001 }), { max: 10, min: 0, basis: 'max error rate 0.5' })
  assert.equal(limitFor(20, { failRate: 0.2, maxErrorRate: 0.1, alpha: 0.001 }), { max: 2, min: 0, basis: 'max error rate 0.1' }, 'an explicit flag wins over FAIL_RATE')
  assert.is(limitFor(20, { failRate: 1, alpha: 0.001 }).min, 20)
})

test.run()
