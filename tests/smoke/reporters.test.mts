// The shared reporters render one model four ways; JUnit is checked with a real XML parser.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { caseId, failedCases, makeReport, renderHuman, renderJson, renderJunit, renderReport, renderTap, summarize, timedCase, type Report } from '../../scripts/lib/reporters/index.mts'
import { stripAnsi } from '../../scripts/lib/shell/color.mts'
import { parseJunit } from './support.mts'

const nasty = 'bad <xml> & "quotes" \'apos\' \u0007bell \u001b[31mred\u001b[39m # hash \\ backslash'

function sample(): Report {
  return makeReport('smoke', [
    { name: 'healthz', classname: 'dev', ok: true, message: '200 in 3 ms', ms: 3 },
    { name: 'work', classname: 'dev', ok: false, message: nasty, details: 'line 1\nline 2', ms: 1500, data: { failures: 7 } },
    { name: 'metrics', classname: 'dev', ok: true, skipped: true, message: 'not run: /readyz never turned 200', ms: 0 },
    { name: 'flux', classname: 'cluster', ok: true, ms: 40 },
  ], Date.parse('2026-01-02T03:04:05.678Z'), { mode: 'cluster', context: 'kind-platform' }, Date.parse('2026-01-02T03:04:07.678Z'))
}

test('model: ok means no failure; skipped cases are not failures; ids name group and check', () => {
  const r = sample()
  assert.is(r.ok, false)
  assert.equal(summarize(r.cases), { total: 4, passed: 2, failed: 1, skipped: 1 })
  assert.equal(failedCases(r).map(caseId), ['dev/work'])
  assert.is(r.ms, 2000)
  assert.is(makeReport('x', [{ name: 'a', classname: '', ok: true, skipped: true, ms: 0 }], 0).ok, true)
})

test('timedCase turns a thrown error into a failed case', async () => {
  const c = await timedCase('dev', 'boom', async () => { throw new Error('kaput') })
  assert.is(c.ok, false)
  assert.is(c.message, 'kaput')
  assert.is((await timedCase('dev', 'fine', async () => ({ ok: true }))).ok, true)
})

test('junit: well-formed XML (python xml.etree), one suite per group, right counts, messages kept, control bytes dropped', () => {
  const xml = renderJunit(sample())
  const x = parseJunit(xml)
  assert.equal([x.tests, x.failures, x.skipped], [4, 1, 1])
  assert.equal(x.suites.map((s) => [s.name, s.tests, s.failures, s.skipped]), [['smoke.dev', 3, 1, 1], ['smoke.cluster', 1, 0, 0]])
  const work = x.suites[0]!.cases[1]!
  assert.is(work.classname, 'smoke.dev')
  assert.is(work.failure, 'bad <xml> & "quotes" \'apos\' bell red # hash \\ backslash')
  assert.ok(x.suites[0]!.cases[2]!.skipped)
  assert.match(xml, '<property name="context" value="kind-platform"/>')
  assert.match(xml, 'time="1.500"')
})

test('tap: version, plan, SKIP directive, YAML block under failures, # escaped in descriptions', () => {
  const r = sample()
  r.cases[0]!.name = 'has # hash'
  const lines = renderTap(r).trimEnd().split('\n')
  assert.equal(lines.slice(0, 3), ['TAP version 14', '1..4', 'ok 1 - dev/has \\# hash'])
  assert.is(lines[3], 'not ok 2 - dev/work')
  assert.is(lines[4], '  ---')
  assert.match(lines[5]!, /^ {2}message: "bad <xml>/)
  assert.ok(lines.includes('  details: |-') && lines.includes('    line 1') && lines.includes('  ...'))
  assert.ok(lines.includes('ok 3 - dev/metrics # SKIP not run: /readyz never turned 200'))
  assert.is(lines.at(-1), 'ok 4 - cluster/flux')
})

test('json: the model plus summary and per-case status; parseable', () => {
  const j = JSON.parse(renderJson(sample()))
  assert.is(j.ok, false)
  assert.equal(j.summary, { total: 4, passed: 2, failed: 1, skipped: 1 })
  assert.equal(j.cases.map((c: { status: string }) => c.status), ['passed', 'failed', 'skipped', 'passed'])
  assert.equal(j.cases[1].data, { failures: 7 })
  assert.equal(j.properties, { mode: 'cluster', context: 'kind-platform' })
})

test('human: a table with every case, failure details below, verdict line; colour only when asked', () => {
  const plain = renderHuman(sample())
  assert.not.match(plain, '\u001b[3')
  for (const s of ['group', 'check', 'dev      healthz', '✖ FAIL', '○ skip', 'dev/work:', '  line 2', 'smoke: 1 of 4 checks failed (2 passed, 1 failed, 1 skipped; 2.0s)']) assert.match(plain, s)
  const coloured = renderHuman(sample(), { color: true })
  assert.match(coloured, '\u001b[31m')
  assert.is(stripAnsi(coloured).split('\n').length, plain.split('\n').length)
  assert.is(renderReport(sample(), 'human'), plain)
})

test.run()
