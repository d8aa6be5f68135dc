// The before/after comparison of /metrics, on hand-written expositions.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parsePrometheusText } from '../../scripts/lib/smoke/prometheus-text.mts'
import { compareScrapes, judge } from '../../scripts/lib/smoke/metrics-check.mts'

function exposition(c: Record<string, number>, h: Record<string, number>): string {
  const lines = ['# TYPE http_requests_total counter']
  for (const [s, v] of Object.entries(c)) lines.push(`http_requests_total{path="/work",status="${s}"} ${v}`)
  lines.push('# TYPE http_request_duration_seconds histogram')
  for (const [s, v] of Object.entries(h)) {
    lines.push(`http_request_duration_seconds_bucket{path="/work",status="${s}",le="0.1"} ${v}`, `http_request_duration_seconds_bucket{path="/work",status="${s}",le="+Inf"} ${v}`)
    lines.push(`http_request_duration_seconds_sum{path="/work",status="${s}"} ${v * 0.01}`, `http_request_duration_seconds_count{path="/work",status="${s}"} ${v}`)
  }
  return `${lines.join('\n')}\n`
}
const scrape = (c: Record<string, number>, h: Record<string, number>) => judge(parsePrometheusText(exposition(c, h)))

test('growth by exactly the answers per status passes; extra traffic is reported, not failed', () => {
  const before = scrape({ 200: 5, 500: 1 }, { 200: 5, 500: 1 })
  assert.ok(compareScrapes(before, scrape({ 200: 13, 500: 3 }, { 200: 13, 500: 3 }), { statuses: { 200: 8, 500: 2 }, hostnames: ['a'], requests: 10 }).ok)
  const extra = compareScrapes(before, scrape({ 200: 15, 500: 3 }, { 200: 15, 500: 3 }), { statuses: { 200: 8, 500: 2 }, hostnames: ['a'], requests: 10 })
  assert.ok(extra.ok)
  assert.match(extra.message, '(+2 from other clients)')
})

test('successes counted but not timed (the old bug) fail, naming the series', () => {
  const v = compareScrapes(scrape({ 200: 0, 500: 0 }, { 500: 0 }), scrape({ 200: 8, 500: 2 }, { 500: 2 }), { statuses: { 200: 8, 500: 2 }, hostnames: ['a'], requests: 10 })
  assert.not.ok(v.ok)
  assert.is(v.message, 'http_request_duration_seconds_count{path="/work",status="200"} grew by 0, expected 8 (requests answered 200 are not timed)')
})

test('a counter that misses requests fails too', () => {
  const v = compareScrapes(scrape({ 200: 0 }, { 200: 0 }), scrape({ 200: 3 }, { 200: 4 }), { statuses: { 200: 4 }, hostnames: [], requests: 4 })
  assert.is(v.message, 'http_requests_total{path="/work",status="200"} grew by 3, expected 4')
})

test('answers from several instances cannot be compared with one scrape', () => {
  const s = scrape({ 200: 1 }, { 200: 1 })
  const v = compareScrapes(s, s, { statuses: { 200: 2 }, hostnames: ['demo-a', 'demo-b'], requests: 2 })
  assert.not.ok(v.ok)
  assert.match(v.message, '2 instances (demo-a, demo-b)')
})

test('judge: the contract\'s families must exist with the right type and labels; invalid text is named', () => {
  assert.is(judge(parsePrometheusText('# TYPE other gauge\nother 1\n')).problem, 'no http_requests_total metric')
  assert.is(judge(parsePrometheusText('# TYPE http_requests_total gauge\nhttp_requests_total{path="/work",status="200"} 1\n')).problem, 'http_requests_total is a gauge, expected a counter')
  assert.match(judge(parsePrometheusText('# TYPE http_requests_total counter\nhttp_requests_total 1\n# TYPE http_request_duration_seconds histogram\n')).problem!, 'lacks the path and status labels')
  const bad = compareScrapes(judge(parsePrometheusText('x{a="1} 1\n')), scrape({}, {}), { statuses: {}, hostnames: [], requests: 0 })
  assert.is(bad.message, 'before the /work calls: invalid exposition: line 1: unterminated value of label a')
})

test.run()
