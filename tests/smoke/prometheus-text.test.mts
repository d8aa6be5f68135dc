// The Prometheus text parser accepts what real exporters write and rejects what a scrape would choke on.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createMetrics } from '../../apps/demo/src/metrics.mts'
import { formatProblems, labelValues, parseFloatStrict, parsePrometheusText, sumSamples } from '../../scripts/lib/smoke/prometheus-text.mts'

const messages = (text: string) => parsePrometheusText(text).problems.map((p) => `${p.line}: ${p.message}`)

test('the demo app\'s real output (prom-client, default metrics included) is valid', async () => {
  const m = createMetrics()
  m.observe('/work', 200, 0.003)
  m.observe('/work', 500, 0.7)
  m.observe('/work', 500, 7)
  const exp = parsePrometheusText(await m.registry.metrics())
  assert.equal(exp.problems, [], formatProblems(exp.problems))
  assert.is(exp.families.get('http_requests_total')?.type, 'counter')
  assert.is(exp.families.get('http_request_duration_seconds')?.type, 'histogram')
  assert.match(exp.families.get('http_request_duration_seconds')?.help ?? '', 'successes and failures alike')
  assert.is(sumSamples(exp, 'http_requests_total', { path: '/work' }), 3)
  assert.is(sumSamples(exp, 'http_request_duration_seconds_count', { path: '/work', status: '500' }), 2)
  assert.is(sumSamples(exp, 'http_request_duration_seconds_bucket', { path: '/work', status: '500', le: '+Inf' }), 2)
  assert.is(sumSamples(exp, 'http_request_duration_seconds_bucket', { path: '/work', status: '500', le: '2.5' }), 1)
  assert.equal(labelValues(exp, 'http_requests_total', 'status', { path: '/work' }), ['200', '500'])
  assert.ok(exp.families.get('process_cpu_user_seconds_total'), 'default metrics are families too')
})

test('label values with escapes, trailing commas, timestamps, special floats and comments', () => {
  const text = [
    '# a plain comment',
    '# HELP weird_total Help with a \\\\ backslash and a \\n newline.',
    '# TYPE weird_total counter',
    'weird_total{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb",} 3 1700000000000',
    'weird_total{path="{not,a=label}"} 1.5e2',
    '# TYPE temp gauge',
    'temp +Inf',
    'temp{x="y"} -Inf',
    'temp{x="z"} NaN',
    '  untyped_thing 42',
    '',
  ].join('\n')
  const exp = parsePrometheusText(text)
  assert.equal(exp.problems, [])
  const [a, b] = exp.families.get('weird_total')!.samples
  assert.equal(a!.labels, { path: 'C:\\dir', quote: 'say "hi"', nl: 'a\nb' })
  assert.is(a!.timestamp, 1700000000000)
  assert.is(b!.labels.path, '{not,a=label}')
  assert.is(b!.value, 150)
  assert.is(exp.families.get('weird_total')!.help, 'Help with a \\ backslash and a \n newline.')
  const temps = exp.families.get('temp')!.samples.map((s) => s.value)
  assert.is(temps[0], Infinity)
  assert.is(temps[1], -Infinity)
  assert.ok(Number.isNaN(temps[2]))
  assert.is(exp.families.get('untyped_thing')!.type, 'untyped')
})

test('syntax errors are reported with their line', () => {
  assert.equal(messages('ok 1\nbad{a="x} 1\n'), ['2: unterminated value of label a'])
  assert.equal(messages('x{a="\\t"} 1\n'), ['1: invalid escape sequence "\\t" in the value of label a'])
  assert.equal(messages('x{a="1",a="2"} 1\n'), ['1: duplicate label name a'])
  assert.equal(messages('x{a="1" b="2"} 1\n'), ['1: expected "," or "}" after the value of label a'])
  assert.equal(messages('x{1a="1"} 1\n'), ['1: invalid label name "1a"'])
  assert.equal(messages('x{__name__="y"} 1\n'), ['1: label name "__name__" is reserved'])
  assert.equal(messages('x one\n'), ['1: invalid value "one" for x'])
  assert.equal(messages('x\n'), ['1: missing value for x'])
  assert.equal(messages('x 1 2 3\n'), ['1: unexpected text after the value of x: "3"'])
  assert.equal(messages('x 1 1.5\n'), ['1: invalid timestamp "1.5" for x'])
  assert.equal(messages('x-y 1\n'), ['1: unexpected character "-" after metric name x'])
  assert.equal(messages('# TYPE x countr\n'), ['1: unknown metric type "countr" for x'])
  assert.equal(messages('# TYPE x counter\n# TYPE x gauge\n'), ['2: second TYPE line for x'])
  assert.equal(messages('# HELP x a\n# HELP x b\n'), ['2: second HELP line for x'])
  assert.equal(messages('x 1\n# TYPE x gauge\n'), ['2: TYPE line for x after its first sample'])
  assert.equal(messages('x{a="1"} 1\nx{a="1"} 2\n'), ['2: duplicate series x{a="1"} (first on line 1)'])
  assert.equal(messages('# TYPE c counter\nc -1\n'), ['2: counter c has value -1; counters are >= 0'])
})

const histogram = (rows: string[]) => ['# TYPE h histogram', ...rows].join('\n') + '\n'

test('histograms: monotonic buckets in le order, +Inf present and equal to _count, _sum present', () => {
  const good = histogram(['h_bucket{le="0.1"} 1', 'h_bucket{le="1"} 3', 'h_bucket{le="+Inf"} 4', 'h_sum 2.5', 'h_count 4'])
  assert.equal(messages(good), [])
  assert.equal(messages(histogram(['h_bucket{le="0.1"} 3', 'h_bucket{le="1"} 2', 'h_bucket{le="+Inf"} 3', 'h_sum 1', 'h_count 3'])),
    ['3: bucket counts of h{} decrease: le=1 has 2 < 3'])
  assert.equal(messages(histogram(['h_bucket{le="1"} 1', 'h_bucket{le="0.1"} 1', 'h_bucket{le="+Inf"} 1', 'h_sum 1', 'h_count 1'])),
    ['3: buckets of h{} are not in increasing le order (le=0.1 after 1)'])
  assert.equal(messages(histogram(['h_bucket{le="1"} 1', 'h_sum 1', 'h_count 1'])), ['2: histogram h{} has no le="+Inf" bucket'])
  assert.equal(messages(histogram(['h_bucket{le="+Inf"} 5', 'h_sum 1', 'h_count 4'])), ['4: histogram h{}: le="+Inf" bucket is 5 but h_count is 4'])
  assert.equal(messages(histogram(['h_bucket{le="+Inf"} 1', 'h_count 1'])), ['2: histogram h{} has no h_sum'])
  assert.equal(messages(histogram(['h_bucket{le="+Inf"} 1', 'h_sum 1'])), ['2: histogram h{} has no h_count'])
  assert.equal(messages(histogram(['h_bucket{le="x"} 1', 'h_bucket{le="+Inf"} 1', 'h_sum 1', 'h_count 1'])), ['2: bucket of h{} has invalid le="x"'])
  assert.equal(messages(histogram(['h_bucket 1', 'h_bucket{le="+Inf"} 1', 'h_sum 1', 'h_count 1'])), ['2: bucket of h{} has no le label'])
  assert.equal(messages(histogram(['h 1'])), ['2: sample h does not belong to histogram h', '2: histogram h{} has no le="+Inf" bucket', '2: histogram h{} has no h_count', '2: histogram h{} has no h_sum'])
  // Label sets are separate series: one broken series is named by its labels.
  const two = histogram([
    'h_bucket{le="1",s="a"} 1', 'h_bucket{le="+Inf",s="a"} 1', 'h_sum{s="a"} 1', 'h_count{s="a"} 1',
    'h_bucket{le="1",s="b"} 1', 'h_bucket{le="+Inf",s="b"} 1', 'h_sum{s="b"} 1', 'h_count{s="b"} 2',
  ])
  assert.equal(messages(two), ['9: histogram h{s="b"}: le="+Inf" bucket is 1 but h_count is 2'])
})

test('summaries: quantiles in order and within 0..1, _sum and _count present', () => {
  const s = (rows: string[]) => ['# TYPE s summary', ...rows].join('\n') + '\n'
  assert.equal(messages(s(['s{quantile="0.5"} 1', 's{quantile="0.9"} 2', 's_sum 3', 's_count 2'])), [])
  assert.equal(messages(s(['s{quantile="0.9"} 1', 's{quantile="0.5"} 2', 's_sum 3', 's_count 2'])), ['3: quantiles of s{} are not in increasing order'])
  assert.equal(messages(s(['s{quantile="2"} 1', 's_sum 3', 's_count 2'])), ['2: quantile sample of s{} has invalid quantile="2"'])
  assert.equal(messages(s(['s{quantile="0.5"} 1', 's_count 2'])), ['2: summary s{} has no s_sum'])
})

test('floats follow Go ParseFloat', () => {
  for (const [raw, v] of [['1', 1], ['-1.5', -1.5], ['.5', 0.5], ['5.', 5], ['1e3', 1000], ['+Inf', Infinity], ['inf', Infinity], ['-Inf', -Infinity]] as const) assert.is(parseFloatStrict(raw), v, raw)
  assert.ok(Number.isNaN(parseFloatStrict('NaN')!))
  for (const raw of ['', 'one', '1,5', '0x', '1e', '--1']) assert.is(parseFloatStrict(raw), undefined, raw)
})

test('CRLF line endings and a missing final newline are tolerated', () => {
  assert.equal(parsePrometheusText('# TYPE a gauge\r\na 1\r\nb 2').problems, [])
})

test.run()
