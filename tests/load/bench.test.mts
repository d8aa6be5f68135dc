// scripts/bench/load-vs-wrk.mts: wrk's report read as numbers, and the benchmark without wrk installed.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseWrk, wrkTimeMs } from '../../scripts/bench/wrk-output.mts'
import { REPO } from '../helpers/fakes.mts'
import { runNode } from '../helpers/proc.mts'

const FIXTURES = path.join(REPO, 'tests', 'fixtures', 'load')
const read = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8')

test('wrk times in every unit wrk prints (units.c: us, ms, s, m)', () => {
  assert.is(wrkTimeMs('767.00us'), 0.767)
  assert.is(wrkTimeMs('1.12ms'), 1.12)
  assert.is(wrkTimeMs('2.50s'), 2500)
  assert.is(wrkTimeMs('1.50m'), 90_000)
  assert.throws(() => wrkTimeMs('12 parsecs'), /not a wrk time/)
})

test('wrk 4.1 reports (captured from the real wrk): rate, percentiles, non-2xx and socket errors', () => {
  const a = parseWrk(read('wrk-non2xx.txt'))
  assert.equal(a, { requests: 510, rps: 460.5, p50: 8.59, p90: 44.94, p99: 120.17, non2xx: 268, socketErrors: 0 })
  const b = parseWrk(read('wrk-socket-errors.txt'))
  assert.is(b.socketErrors, 84)
  assert.is(b.p50, 6.67)
  assert.is(b.requests, 169)
  assert.throws(() => parseWrk('unable to connect to 127.0.0.1:9 Connection refused'), /not a wrk report/)
})

test('without wrk the benchmark says so in one line and still measures load.mts', async () => {
  const r = await runNode([path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), path.join(REPO, 'scripts', 'bench', 'load-vs-wrk.mts'), '--wrk', 'no-such-wrk', '--rounds', '1', '--duration', '1', '--concurrency', '2', '--json'], { env: { ...process.env, CI: '1', NO_COLOR: '1' }, timeoutMs: 60_000 })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /^wrk: no-such-wrk is not installed \(Debian\/Ubuntu: apt-get install wrk\); measuring load\.mts alone$/m)
  const out = JSON.parse(r.stdout)
  assert.is(out.summary.length, 1)
  assert.is(out.summary[0].concurrency, 2)
  assert.ok(out.summary[0].loadMts.rps > 0, r.stdout)
  assert.is(out.summary[0].wrk, undefined)
  assert.equal(out.runs.map((x: { tool: string }) => x.tool), ['load.mts'])
})

test.run()
