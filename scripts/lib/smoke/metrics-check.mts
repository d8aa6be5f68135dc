// /metrics, before and after the /work calls: both scrapes must be valid Prometheus text exposition, and for
// every status the app answered with, BOTH http_requests_total and http_request_duration_seconds_count for
// path="/work" must have grown by at least the number of such answers we received. "At least": other
// clients may call the same instance meanwhile (reported, not failed); fewer is the bug the contract rules
// out (e.g. latency recorded only for failed requests).

import { formatProblems, parsePrometheusText, sumSamples, type Exposition } from './prometheus-text.mts'
import { httpGet, type HttpTarget } from './http.mts'

export const REQUESTS_TOTAL = 'http_requests_total'
export const DURATION = 'http_request_duration_seconds'

export interface Scrape {
  ok: boolean
  /** why the scrape is unusable (HTTP error, wrong content type, parse problems) */
  problem?: string
  exposition?: Exposition
  ms: number
}

export async function readScrape(target: HttpTarget, timeoutMs: number, signal?: AbortSignal): Promise<Scrape> {
  const r = await httpGet(target, '/metrics', { timeoutMs, signal })
  if (!r.ok) return { ok: false, problem: `GET /metrics: ${r.message}`, ms: r.ms }
  if (r.status !== 200) return { ok: false, problem: `GET /metrics answered HTTP ${r.status}`, ms: r.ms }
  const type = String(r.headers['content-type'] ?? '')
  if (!/^text\/plain\b/i.test(type)) return { ok: false, problem: `GET /metrics has content-type ${JSON.stringify(type)}, expected text/plain (Prometheus text format 0.0.4)`, ms: r.ms }
  return judge(parsePrometheusText(r.body), r.ms)
}

/** Validity plus the two families the contract names, with the labels it names. */
export function judge(exposition: Exposition, ms = 0): Scrape {
  if (exposition.problems.length) return { ok: false, problem: `invalid exposition: ${formatProblems(exposition.problems)}`, exposition, ms }
  const want = [[REQUESTS_TOTAL, 'counter'], [DURATION, 'histogram']] as const
  for (const [name, type] of want) {
    const f = exposition.families.get(name)
    if (!f) return { ok: false, problem: `no ${name} metric`, exposition, ms }
    if (f.type !== type) return { ok: false, problem: `${name} is a ${f.type}, expected a ${type}`, exposition, ms }
    const unlabelled = f.samples.find((s) => s.labels.path === undefined || s.labels.status === undefined)
    if (unlabelled) return { ok: false, problem: `${unlabelled.name} (line ${unlabelled.line}) lacks the path and status labels`, exposition, ms }
  }
  return { ok: true, exposition, ms }
}

export interface CompareInput {
  /** /work answers we received, per status code */
  statuses: Record<string, number>
  /** instances that answered /work (from the bodies) */
  hostnames: string[]
  requests: number
}

export function compareScrapes(before: Scrape, after: Scrape, input: CompareInput): { ok: boolean; message: string; details?: string; data?: Record<string, unknown> } {
  if (!before.ok) return { ok: false, message: `before the /work calls: ${before.problem}` }
  if (!after.ok) return { ok: false, message: `after the /work calls: ${after.problem}` }
  if (input.hostnames.length > 1) {
    return { ok: false, message: `/work answers came from ${input.hostnames.length} instances (${input.hostnames.join(', ')}), so one /metrics scrape cannot account for them; point the check at a single instance` }
  }
  const b = before.exposition!
  const a = after.exposition!
  const rows: string[] = []
  const problems: string[] = []
  const growth: Record<string, { answers: number; counter: number; histogram: number }> = {}
  const statuses = new Set([...Object.keys(input.statuses)])
  for (const s of statuses) {
    const where = { path: '/work', status: s }
    const answers = input.statuses[s] ?? 0
    const counter = sumSamples(a, REQUESTS_TOTAL, where) - sumSamples(b, REQUESTS_TOTAL, where)
    const histogram = sumSamples(a, `${DURATION}_count`, where) - sumSamples(b, `${DURATION}_count`, where)
    growth[s] = { answers, counter, histogram }
    rows.push(`status ${s}: ${answers} answers; ${REQUESTS_TOTAL} +${counter}, ${DURATION}_count +${histogram}`)
    if (counter < answers) problems.push(`${REQUESTS_TOTAL}{path="/work",status="${s}"} grew by ${counter}, expected ${answers}`)
    if (histogram < answers) problems.push(`${DURATION}_count{path="/work",status="${s}"} grew by ${histogram}, expected ${answers}${histogram === 0 ? ` (requests answered ${s} are not timed)` : ''}`)
  }
  const answered = Object.values(input.statuses).reduce((x, y) => x + y, 0)
  const data = { growth, answered }
  if (problems.length) return { ok: false, message: problems.join('; '), details: rows.join('\n'), data }
  const extra = Object.values(growth).reduce((sum, g) => sum + Math.max(g.counter - g.answers, 0), 0)
  return {
    ok: true,
    message: `valid exposition; counter and latency histogram grew by the ${answered} /work answers${extra ? ` (+${extra} from other clients)` : ''}`,
    data,
  }
}
