// Prometheus text exposition format 0.0.4, parsed strictly: the syntax (HELP/TYPE lines, escapes in HELP text
// and label values, float values incl. ±Inf/NaN, optional timestamps) and the rules of
// https://prometheus.io/docs/instrumenting/exposition_formats/ that a scrape relies on: one HELP/TYPE per
// family, TYPE before the family's first sample, histogram buckets in increasing `le` order with
// non-decreasing counts, a `+Inf` bucket equal to `_count`, `_sum`/`_count` present, no duplicate series.
// Pure: text in, families + problems out. Problems carry the 1-based line they come from.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped']

export interface Sample {
  /** the sample's own name, e.g. `http_request_duration_seconds_bucket` */
  name: string
  labels: Record<string, string>
  value: number
  timestamp?: number
  /** the family it belongs to, e.g. `http_request_duration_seconds` */
  family: string
  line: number
}

export interface MetricFamily {
  name: string
  type: MetricType
  help?: string
  samples: Sample[]
}

export interface Problem {
  line: number
  message: string
}

export interface Exposition {
  families: Map<string, MetricFamily>
  samples: Sample[]
  /** syntax and semantic problems; empty means the text is a valid exposition */
  problems: Problem[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** A Go strconv.ParseFloat-compatible float as Prometheus writes and reads them. */
export function parseFloatStrict(raw: string): number | undefined {
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(raw)) return Number(raw)
  if (/^[+]?inf(?:inity)?$/i.test(raw)) return Infinity
  if (/^-inf(?:inity)?$/i.test(raw)) return -Infinity
  if (/^nan$/i.test(raw)) return NaN
  return undefined
}

class LineError extends Error {}

/** HELP text escapes: `\\` and `\n` only; any other backslash stays as is (as the reference parser does). */
function unescapeHelp(s: string): string {
  return s.replace(/\\([\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'))
}

interface Cursor { s: string; i: number }

const skipBlanks = (c: Cursor) => { while (c.s[c.i] === ' ' || c.s[c.i] === '\t') c.i++ }

function readName(c: Cursor, pattern: RegExp, what: string): string {
  const start = c.i
  while (c.i < c.s.length && /[a-zA-Z0-9_:]/.test(c.s[c.i]!)) c.i++
  const name = c.s.slice(start, c.i)
  if (!pattern.test(name)) throw new LineError(`invalid ${what} ${JSON.stringify(name || c.s.slice(start, start + 10))}`)
  return name
}

/** `{a="x",b="y\"z",}`; c.i is at `{`. Escapes in values: `\\`, `\"`, `\n`; anything else is an error. */
function readLabels(c: Cursor): Record<string, string> {
  const labels: Record<string, string> = {}
  c.i++ // {
  for (;;) {
    skipBlanks(c)
    if (c.s[c.i] === '}') { c.i++; return labels }
    const name = readName(c, LABEL_NAME, 'label name')
    if (name === '__name__') throw new LineError('label name "__name__" is reserved')
    skipBlanks(c)
    if (c.s[c.i] !== '=') throw new LineError(`expected "=" after label name ${name}`)
    c.i++
    skipBlanks(c)
    if (c.s[c.i] !== '"') throw new LineError(`expected '"' to start the value of label ${name}`)
    c.i++
    let value = ''
    for (;;) {
      const ch = c.s[c.i]
      if (ch === undefined) throw new LineError(`unterminated value of label ${name}`)
      if (ch === '"') { c.i++; break }
      if (ch === '\\') {
        const next = c.s[c.i + 1]
        if (next === '\\') value += '\\'
        else if (next === '"') value += '"'
        else if (next === 'n') value += '\n'
        else throw new LineError(`invalid escape sequence "\\${next ?? ''}" in the value of label ${name}`)
        c.i += 2
        continue
      }
      value += ch
      c.i++
    }
    if (name in labels) throw new LineError(`duplicate label name ${name}`)
    labels[name] = value
    skipBlanks(c)
    if (c.s[c.i] === ',') { c.i++; continue }
    if (c.s[c.i] === '}') { c.i++; return labels }
    throw new LineError(`expected "," or "}" after the value of label ${name}`)
  }
}

interface RawSample { name: string; labels: Record<string, string>; value: number; timestamp?: number }

function parseSampleLine(line: string): RawSample {
  const c: Cursor = { s: line, i: 0 }
  skipBlanks(c)
  const name = readName(c, METRIC_NAME, 'metric name')
  const next = c.s[c.i]
  if (next !== undefined && next !== ' ' && next !== '\t' && next !== '{') throw new LineError(`unexpected character ${JSON.stringify(next)} after metric name ${name}`)
  skipBlanks(c)
  const labels = c.s[c.i] === '{' ? readLabels(c) : {}
  const rest = c.s.slice(c.i)
  const fields = rest.trim().split(/[ \t]+/).filter(Boolean)
  if (fields.length === 0) throw new LineError(`missing value for ${name}`)
  if (fields.length > 2) throw new LineError(`unexpected text after the value of ${name}: ${JSON.stringify(fields.slice(2).join(' '))}`)
  const value = parseFloatStrict(fields[0]!)
  if (value === undefined) throw new LineError(`invalid value ${JSON.stringify(fields[0])} for ${name}`)
  const out: RawSample = { name, labels, value }
  if (fields[1] !== undefined) {
    if (!/^-?\d+$/.test(fields[1])) throw new LineError(`invalid timestamp ${JSON.stringify(fields[1])} for ${name}`)
    out.timestamp = Number(fields[1])
  }
  return out
}

/** Which declared family a sample name belongs to (histogram/summary suffixes), or its own name. */
function familyOf(name: string, families: Map<string, MetricFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue
    const base = name.slice(0, -suffix.length)
    const f = families.get(base)
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return base
  }
  return name
}

export const seriesKey = (name: string, labels: Record<string, string>, omit?: string): string =>
  `${name}{${Object.keys(labels).filter((k) => k !== omit).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`

export function parsePrometheusText(text: string): Exposition {
  const families = new Map<string, MetricFamily>()
  const samples: Sample[] = []
  const problems: Problem[] = []
  const helpSeen = new Set<string>()
  const typeSeen = new Set<string>()
  const withSamples = new Set<string>()
  const lines = text.split('\n')
  // The format ends every line with \n; a trailing empty string after the last \n is not a line.
  if (lines.at(-1) === '') lines.pop()

  const family = (name: string): MetricFamily => {
    let f = families.get(name)
    if (!f) { f = { name, type: 'untyped', samples: [] }; families.set(name, f) }
    return f
  }

  lines.forEach((raw, idx) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    const n = idx + 1
    try {
      if (line.trim() === '') return
      const trimmed = line.replace(/^[ \t]+/, '')
      if (trimmed.startsWith('#')) {
        const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(trimmed)
        if (!m) return // an ordinary comment
        const [, kind, name, rest = ''] = m as unknown as [string, 'HELP' | 'TYPE', string, string?]
        if (!METRIC_NAME.test(name)) throw new LineError(`invalid metric name ${JSON.stringify(name)} in ${kind} line`)
        if (kind === 'HELP') {
          if (helpSeen.has(name)) throw new LineError(`second HELP line for ${name}`)
          helpSeen.add(name)
          family(name).help = unescapeHelp(rest)
          return
        }
        const type = rest.trim()
        if (!(TYPES as readonly string[]).includes(type)) throw new LineError(`unknown metric type ${JSON.stringify(type)} for ${name}`)
        if (typeSeen.has(name)) throw new LineError(`second TYPE line for ${name}`)
        if (withSamples.has(name)) throw new LineError(`TYPE line for ${name} after its first sample`)
        typeSeen.add(name)
        family(name).type = type as MetricType
        return
      }
      const s = parseSampleLine(line)
      const fam = familyOf(s.name, families)
      const f = family(fam)
      withSamples.add(fam)
      const sample: Sample = { ...s, family: fam, line: n }
      f.samples.push(sample)
      samples.push(sample)
    } catch (e) {
      if (!(e instanceof LineError)) throw e
      problems.push({ line: n, message: e.message })
    }
  })
  problems.push(...checkFamilies(families))
  return { families, samples, problems }
}

function checkFamilies(families: Map<string, MetricFamily>): Problem[] {
  const problems: Problem[] = []
  const seen = new Map<string, number>()
  for (const f of families.values()) {
    for (const s of f.samples) {
      const key = seriesKey(s.name, s.labels)
      const first = seen.get(key)
      if (first !== undefined) problems.push({ line: s.line, message: `duplicate series ${key} (first on line ${first})` })
      else seen.set(key, s.line)
      if (f.type === 'counter' && (Number.isNaN(s.value) || s.value < 0)) problems.push({ line: s.line, message: `counter ${s.name} has value ${s.value}; counters are >= 0` })
    }
    if (f.type === 'histogram') problems.push(...checkHistogram(f))
    if (f.type === 'summary') problems.push(...checkSummary(f))
  }
  return problems.sort((a, b) => a.line - b.line)
}

interface Group { labels: Record<string, string>; buckets: Sample[]; sum?: Sample; count?: Sample; quantiles: Sample[]; firstLine: number }

function group(f: MetricFamily, by: 'le' | 'quantile', problems: Problem[]): Map<string, Group> {
  const groups = new Map<string, Group>()
  for (const s of f.samples) {
    const key = seriesKey(f.name, s.labels, by)
    let g = groups.get(key)
    if (!g) {
      const labels = { ...s.labels }
      delete labels[by]
      g = { labels, buckets: [], quantiles: [], firstLine: s.line }
      groups.set(key, g)
    }
    if (s.name === `${f.name}_sum`) g.sum = s
    else if (s.name === `${f.name}_count`) g.count = s
    else if (by === 'le' && s.name === `${f.name}_bucket`) g.buckets.push(s)
    else if (by === 'quantile' && s.name === f.name) g.quantiles.push(s)
    else problems.push({ line: s.line, message: `sample ${s.name} does not belong to ${f.type} ${f.name}` })
  }
  return groups
}

function checkHistogram(f: MetricFamily): Problem[] {
  const problems: Problem[] = []
  for (const [key, g] of group(f, 'le', problems)) {
    let prevLe = -Infinity
    let prevCount = -Infinity
    let inf: Sample | undefined
    for (const b of g.buckets) {
      const raw = b.labels.le
      const le = raw === undefined ? undefined : parseFloatStrict(raw)
      if (le === undefined || Number.isNaN(le)) {
        problems.push({ line: b.line, message: `bucket of ${key} has ${raw === undefined ? 'no le label' : `invalid le=${JSON.stringify(raw)}`}` })
        continue
      }
      if (le <= prevLe) problems.push({ line: b.line, message: `buckets of ${key} are not in increasing le order (le=${raw} after ${prevLe})` })
      if (Number.isNaN(b.value) || b.value < 0) problems.push({ line: b.line, message: `bucket le=${raw} of ${key} has count ${b.value}` })
      else if (b.value < prevCount) problems.push({ line: b.line, message: `bucket counts of ${key} decrease: le=${raw} has ${b.value} < ${prevCount}` })
      prevLe = le
      if (!Number.isNaN(b.value)) prevCount = Math.max(prevCount, b.value)
      if (le === Infinity) inf = b
    }
    if (!inf) problems.push({ line: g.firstLine, message: `histogram ${key} has no le="+Inf" bucket` })
    if (!g.count) problems.push({ line: g.firstLine, message: `histogram ${key} has no ${f.name}_count` })
    if (!g.sum) problems.push({ line: g.firstLine, message: `histogram ${key} has no ${f.name}_sum` })
    if (inf && g.count && inf.value !== g.count.value) {
      problems.push({ line: g.count.line, message: `histogram ${key}: le="+Inf" bucket is ${inf.value} but ${f.name}_count is ${g.count.value}` })
    }
  }
  return problems
}

function checkSummary(f: MetricFamily): Problem[] {
  const problems: Problem[] = []
  for (const [key, g] of group(f, 'quantile', problems)) {
    let prev = -Infinity
    for (const q of g.quantiles) {
      const raw = q.labels.quantile
      const v = raw === undefined ? undefined : parseFloatStrict(raw)
      if (v === undefined || Number.isNaN(v) || v < 0 || v > 1) {
        problems.push({ line: q.line, message: `quantile sample of ${key} has ${raw === undefined ? 'no quantile label' : `invalid quantile=${JSON.stringify(raw)}`}` })
        continue
      }
      if (v <= prev) problems.push({ line: q.line, message: `quantiles of ${key} are not in increasing order` })
      prev = v
    }
    if (!g.count) problems.push({ line: g.firstLine, message: `summary ${key} has no ${f.name}_count` })
    if (!g.sum) problems.push({ line: g.firstLine, message: `summary ${key} has no ${f.name}_sum` })
  }
  return problems
}

/** Sum of the samples named `name` whose labels include every pair of `where`. */
export function sumSamples(exp: Exposition | Sample[], name: string, where: Record<string, string> = {}): number {
  const list = Array.isArray(exp) ? exp : exp.samples
  return list
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0)
}

/** Distinct values of one label over the samples named `name` (e.g. every `status` seen for /work). */
export function labelValues(exp: Exposition, name: string, label: string, where: Record<string, string> = {}): string[] {
  const out = new Set<string>()
  for (const s of exp.samples) {
    if (s.name !== name || !Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue
    const v = s.labels[label]
    if (v !== undefined) out.add(v)
  }
  return [...out].sort()
}

export function formatProblems(problems: Problem[], max = 5): string {
  const shown = problems.slice(0, max).map((p) => `line ${p.line}: ${p.message}`)
  if (problems.length > max) shown.push(`(${problems.length - max} more)`)
  return shown.join('; ')
}
