// scripts/smoke.mts --url against the real demo app as a process, in the configurations the contract names,
// plus a broken server that times only failed requests.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript, type ProcResult } from '../helpers/proc.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'
import { freePort, parseJunit, startApp, startServer, type RunningApp } from './support.mts'

const env = { ...process.env, PLATFORM_ENV_FILE: '/dev/null', NO_COLOR: '1' }
const smoke = (args: string[]) => runScript('smoke', args, { env, timeoutMs: 90_000 })

interface JsonReport { ok: boolean; summary: { total: number; passed: number; failed: number; skipped: number }; cases: { name: string; classname: string; status: string; message?: string; data?: Record<string, any> }[] }

function json(r: ProcResult): JsonReport {
  try {
    return JSON.parse(r.stdout) as JsonReport
  } catch {
    throw new Error(`stdout is not only the JSON report:\n${r.stdout}\n--- stderr ---\n${r.stderr}`)
  }
}
const statusOf = (rep: JsonReport, name: string) => rep.cases.find((c) => c.name === name)?.status
const failedNames = (rep: JsonReport) => rep.cases.filter((c) => c.status === 'failed').map((c) => c.name)

async function withApp<T>(start: Promise<RunningApp>, body: (app: RunningApp) => Promise<T>): Promise<T> {
  const app = await start
  try { return await body(app) } finally { await app.stop() }
}

test('healthy app: every check passes, exit 0, the human table names each check', async () => {
  await withApp(startApp({ GREETING: 'Hello from a test' }), async (app) => {
    const r = await smoke(['--url', app.base, '--requests', '10', '--expect-greeting', 'Hello from a test'])
    assert.is(r.code, 0, r.stderr)
    for (const check of ['healthz', 'readyz', 'work', 'metrics']) assert.match(r.stdout, new RegExp(`${check}\\s+✔ pass`))
    assert.match(r.stdout, 'smoke: all checks passed')
    assert.not.match(r.stdout, '\u001b[', 'no colours into a pipe')
  })
})

test('slow to become ready: readyz is polled until 200, then everything passes', async () => {
  await withApp(startApp({ READINESS_DELAY_SEC: '3' }), async (app) => {
    const r = await smoke(['--url', app.base, '--requests', '5', '--ready-timeout', '30', '--reporter', 'json'])
    assert.is(r.code, 0, r.stderr)
    const rep = json(r)
    assert.ok(rep.ok)
    const readyz = rep.cases.find((c) => c.name === 'readyz')!
    assert.is(readyz.status, 'passed')
    // zx itself takes a while to start; the delay may or may not be over by the first poll
    assert.ok(readyz.data!.polls >= 1)
  })
})

test('not ready within --ready-timeout: readyz fails and names itself; work/metrics are skipped, not run', async () => {
  await withApp(startApp({ READINESS_DELAY_SEC: '3600' }), async (app) => {
    const r = await smoke(['--url', app.base, '--requests', '5', '--ready-timeout', '1', '--reporter', 'json'])
    assert.is(r.code, 1)
    const rep = json(r)
    assert.equal(failedNames(rep), ['readyz'])
    assert.match(rep.cases.find((c) => c.name === 'readyz')!.message ?? '', /not 200 within 1\.0s \(last answer: HTTP 503/)
    assert.is(statusOf(rep, 'work'), 'skipped')
    assert.is(statusOf(rep, 'metrics'), 'skipped')
    assert.match(r.stderr, '✖ smoke: 1 check failed: url/readyz')
  })
})

test('FAIL_RATE=1: work fails (5xx above the limit), metrics still pass (failures are counted and timed)', async () => {
  await withApp(startApp({ FAIL_RATE: '1' }), async (app) => {
    const r = await smoke(['--url', app.base, '--requests', '6', '--reporter', 'json'])
    assert.is(r.code, 1)
    const rep = json(r)
    assert.equal(failedNames(rep), ['work'])
    assert.match(rep.cases.find((c) => c.name === 'work')!.message ?? '', '6 of 6 calls answered 5xx, more than the 3 allowed (max error rate 0.5)')
    assert.is(statusOf(rep, 'metrics'), 'passed')
    // an explicit limit of 1 accepts it
    const lax = await smoke(['--url', app.base, '--requests', '6', '--max-error-rate', '1', '--reporter', 'json'])
    assert.is(lax.code, 0, lax.stdout)
  })
})

test('wrong greeting: work fails and shows what came back and what was expected', async () => {
  await withApp(startApp({ GREETING: 'Hallo' }), async (app) => {
    const r = await smoke(['--url', app.base, '--requests', '4', '--expect-greeting', 'Bonjour'])
    assert.is(r.code, 1)
    assert.match(r.stdout, /work\s+✖ FAIL/)
    assert.match(r.stdout, '4 of 4 successful answers had greeting "Hallo", expected "Bonjour"')
    assert.match(r.stderr, 'url/work')
  })
})

test('a server that times only failed requests is caught by the metrics check', async () => {
  await withApp(startServer('tests/fixtures/smoke/latency-on-failure-only.mts', { FAIL_RATE: '0' }), async (app) => {
    const r = await smoke(['--url', app.base, '--requests', '8', '--reporter', 'json'])
    assert.is(r.code, 1)
    const rep = json(r)
    assert.equal(failedNames(rep), ['metrics'])
    const msg = rep.cases.find((c) => c.name === 'metrics')!.message ?? ''
    assert.match(msg, 'http_request_duration_seconds_count{path="/work",status="200"} grew by 0, expected 8')
    assert.match(msg, 'not timed')
  })
})

test('refused connections fail fast at healthz, well within the ready timeout', async () => {
  const port = await freePort()
  const t0 = Date.now()
  const r = await smoke(['--url', `http://127.0.0.1:${port}`, '--ready-timeout', '120', '--reporter', 'json'])
  assert.is(r.code, 1)
  assert.ok(Date.now() - t0 < 60_000, 'did not wait out the ready timeout')
  const rep = json(r)
  assert.equal(failedNames(rep), ['healthz'])
  assert.match(rep.cases[0]!.message ?? '', 'connection refused')
  assert.equal(rep.cases.slice(1).map((c) => c.status), ['skipped', 'skipped', 'skipped'])
})

test('--reporter junit --output FILE: valid XML with the right counts; stdout stays empty', async () => {
  const dir = tempDir('smoke-junit-')
  try {
    await withApp(startApp({ FAIL_RATE: '1' }), async (app) => {
      const file = path.join(dir, 'reports', 'smoke.xml')
      const r = await smoke(['--url', app.base, '--requests', '4', '--reporter', 'junit', '--output', file])
      assert.is(r.code, 1)
      assert.is(r.stdout, '')
      const x = parseJunit(fs.readFileSync(file, 'utf8'))
      assert.equal([x.tests, x.failures, x.skipped], [4, 1, 0])
      assert.is(x.suites.length, 1)
      assert.equal(x.suites[0]!.cases.map((c) => c.name), ['healthz', 'readyz', 'work', 'metrics'])
      assert.match(x.suites[0]!.cases[2]!.failure ?? '', '4 of 4 calls answered 5xx')
    })
    // an unreachable URL: one failure, three skips
    const r = await smoke(['--url', `http://127.0.0.1:${await freePort()}`, '--reporter', 'junit'])
    const x = parseJunit(r.stdout)
    assert.equal([x.tests, x.failures, x.skipped], [4, 1, 3])
  } finally {
    removeDir(dir)
  }
})

test('--reporter tap: a plan and one test point per check', async () => {
  await withApp(startApp({}), async (app) => {
    const r = await smoke(['--url', app.base, '--requests', '3', '--reporter', 'tap'])
    assert.is(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim().split('\n'), ['TAP version 14', '1..4', 'ok 1 - url/healthz', 'ok 2 - url/readyz', 'ok 3 - url/work', 'ok 4 - url/metrics'])
  })
})

test('bad flags are usage errors (exit 2) naming the flag', async () => {
  const cases = [
    [['--url', 'http://127.0.0.1:1', '--requests', '0'], '--requests must be >= 1, got 0'],
    [['--url', 'http://127.0.0.1:1', '--max-error-rate', '1.5'], '--max-error-rate must be <= 1, got 1.5'],
    [['--url', 'http://127.0.0.1:1', '--ready-timeout', '0'], '--ready-timeout must be > 0, got 0'],
    [['--url', 'not a url'], '--url not a url is not a URL'],
    [['--url', 'http://127.0.0.1:1', '--reporter', 'xml'], '--reporter xml is not one of human, json, junit, tap'],
    [['--expect-greeting', 'x'], '--expect-greeting only applies with --url'],
  ] as const
  const results = await Promise.all(cases.map(([args]) => smoke([...args])))
  cases.forEach(([args, msg], i) => {
    assert.is(results[i]!.code, 2, `${args.join(' ')}: ${results[i]!.stderr}`)
    assert.match(results[i]!.stderr, msg)
  })
})

test.run()
