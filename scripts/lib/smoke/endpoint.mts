// The endpoint checks of the demo app contract (CONTRACTS.md "The demo app") against one HTTP target:
// healthz -> readyz (polled) -> N x /work (ratio + greeting) -> metrics (valid exposition, and the request
// counter AND latency histogram grew by the /work calls made, per status: successes included).
// A target that refuses connections fails healthz at once and the rest is skipped: no waiting out timeouts.

import type { ReportCase } from '../reporters/model.mts'
import { describeRequest, httpGet, isCertificateFailure, isHopeless, isNotTls, type HttpResult, type HttpTarget } from './http.mts'
import { compareScrapes, readScrape, type Scrape } from './metrics-check.mts'

export interface FailureLimit {
  /** most 5xx answers accepted */
  max: number
  /** fewest 5xx answers accepted (two-sided check against a known FAIL_RATE); 0 = no lower bound */
  min: number
  /** how the limit was derived, for messages: "--max-error-rate 0.5" or "FAIL_RATE 0.2, binomial alpha=0.001" */
  basis: string
}

export interface EndpointOptions {
  readyTimeoutMs: number
  requests: number
  limit: FailureLimit
  /** exact greeting /work must return; undefined = any non-empty string */
  expectGreeting?: string
  /** where the expected greeting comes from, for messages ("Secret demo-secret", "--expect-greeting") */
  greetingSource?: string
  /** per HTTP request */
  requestTimeoutMs: number
  /** parallel /work calls */
  concurrency: number
  /** compare /metrics before and after (only where every request reaches the same instance) */
  metrics: boolean
  /** check name prefix, e.g. "ingress/" */
  prefix?: string
  signal?: AbortSignal
  progress?: (line: string) => void
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms)
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
})

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`

function answerText(r: HttpResult): string {
  return r.ok ? `HTTP ${r.status}` : r.message
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i)
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return out
}

type Case = Omit<ReportCase, 'classname'>

export async function checkHealthz(target: HttpTarget, o: EndpointOptions): Promise<{ c: Case; unreachable: boolean; certificate?: boolean; notTls?: boolean }> {
  const name = `${o.prefix ?? ''}healthz`
  const r = await httpGet(target, '/healthz', { timeoutMs: o.requestTimeoutMs, signal: o.signal })
  if (r.ok && r.status === 200) return { c: { name, ok: true, message: `200 in ${r.ms} ms`, ms: r.ms }, unreachable: false }
  return {
    c: { name, ok: false, message: r.ok ? `${describeRequest(target, '/healthz')} answered HTTP ${r.status}, expected 200` : `${describeRequest(target, '/healthz')}: ${r.message}`, ms: r.ms },
    unreachable: isHopeless(r) || (!r.ok && r.code === 'ETIMEDOUT'),
    certificate: isCertificateFailure(r),
    notTls: isNotTls(r),
  }
}

/** Poll /readyz until 200; a refused connection ends the wait at once (nothing is starting up there). */
export async function checkReadyz(target: HttpTarget, o: EndpointOptions): Promise<Case> {
  const name = `${o.prefix ?? ''}readyz`
  const t0 = Date.now()
  const deadline = t0 + o.readyTimeoutMs
  let polls = 0
  let last: HttpResult | undefined
  let interval = 100
  let lastProgress = 0
  for (;;) {
    const remaining = deadline - Date.now()
    const r = await httpGet(target, '/readyz', { timeoutMs: Math.max(100, Math.min(o.requestTimeoutMs, remaining)), signal: o.signal })
    polls++
    last = r
    if (r.ok && r.status === 200) return { name, ok: true, message: `200 after ${secs(Date.now() - t0)} (${polls} poll${polls === 1 ? '' : 's'})`, ms: Date.now() - t0, data: { polls, waitedMs: Date.now() - t0 } }
    if (isHopeless(r)) return { name, ok: false, message: `${describeRequest(target, '/readyz')}: ${r.ok ? '' : r.message} while waiting for readiness`, ms: Date.now() - t0 }
    if (o.signal?.aborted) return { name, ok: false, message: 'cancelled', ms: Date.now() - t0 }
    if (Date.now() + interval >= deadline) break
    // a progress line now and then, not one per poll (plain logs in CI would fill up)
    if (Date.now() - lastProgress >= 5000) {
      lastProgress = Date.now()
      o.progress?.(`${name}: ${answerText(r)}, waiting (${secs(Date.now() - t0)} of ${secs(o.readyTimeoutMs)})`)
    }
    await sleep(interval, o.signal)
    interval = Math.min(interval * 2, 1000)
  }
  return { name, ok: false, message: `not 200 within ${secs(o.readyTimeoutMs)} (last answer: ${last ? answerText(last) : 'none'}, ${polls} polls)`, ms: Date.now() - t0, data: { polls } }
}

export interface WorkOutcome {
  c: Case
  /** answers per status code, e.g. { "200": 17, "500": 3 } */
  statuses: Record<string, number>
  /** instances that answered (the app puts its hostname = pod name in every /work body) */
  hostnames: string[]
}

export async function checkWork(target: HttpTarget, o: EndpointOptions): Promise<WorkOutcome> {
  const name = `${o.prefix ?? ''}work`
  const t0 = Date.now()
  const results = await mapLimit(Array.from({ length: o.requests }, (_, i) => i), o.concurrency, () =>
    httpGet(target, '/work', { timeoutMs: o.requestTimeoutMs, signal: o.signal }))
  const statuses: Record<string, number> = {}
  const hostnames = new Set<string>()
  const transport: string[] = []
  const unexpected: string[] = []
  const wrongGreeting = new Map<string, number>()
  let failures = 0
  let successes = 0
  for (const r of results) {
    if (!r.ok) { transport.push(r.message); continue }
    statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1
    let body: Record<string, unknown> | undefined
    try { body = JSON.parse(r.body) as Record<string, unknown> } catch { body = undefined }
    if (body && typeof body.hostname === 'string') hostnames.add(body.hostname)
    if (r.status >= 500 && r.status <= 599) { failures++; continue }
    if (r.status !== 200) { unexpected.push(`HTTP ${r.status}`); continue }
    successes++
    const g = body?.greeting
    const bump = (what: string) => wrongGreeting.set(what, (wrongGreeting.get(what) ?? 0) + 1)
    if (typeof g !== 'string' || g === '') { bump(body ? 'no "greeting" string in the JSON body' : 'a body that is not JSON'); continue }
    if (o.expectGreeting !== undefined && g !== o.expectGreeting) bump(`greeting ${JSON.stringify(g)}`)
  }
  const n = o.requests
  const problems: string[] = []
  if (transport.length) problems.push(`${transport.length} of ${n} calls got no answer (${[...new Set(transport)].slice(0, 3).join('; ')})`)
  if (unexpected.length) problems.push(`${unexpected.length} answers were neither 200 nor 5xx (${[...new Set(unexpected)].join(', ')})`)
  if (failures > o.limit.max) problems.push(`${failures} of ${n} calls answered 5xx, more than the ${o.limit.max} allowed (${o.limit.basis})`)
  if (failures < o.limit.min) problems.push(`only ${failures} of ${n} calls answered 5xx, fewer than the ${o.limit.min} expected (${o.limit.basis}); is the app running with that config? (kubectl rollout restart deployment/demo)`)
  for (const [what, count] of wrongGreeting) {
    const expected = o.expectGreeting !== undefined ? `, expected ${JSON.stringify(o.expectGreeting)}${o.greetingSource ? ` (${o.greetingSource})` : ''}` : ''
    problems.push(`${count} of ${successes} successful answers had ${what}${expected}`)
  }
  const data = { requests: n, statuses, failures, maxFailures: o.limit.max, minFailures: o.limit.min, limit: o.limit.basis, hostnames: [...hostnames].sort() }
  const ms = Date.now() - t0
  if (problems.length) return { c: { name, ok: false, message: problems.join('; '), ms, data }, statuses, hostnames: data.hostnames }
  const greeting = successes === 0 ? 'greeting not seen (no successful answer)' : o.expectGreeting !== undefined ? 'greeting as expected' : 'greeting present'
  return { c: { name, ok: true, message: `${n} calls, ${failures} answered 5xx (allowed ${o.limit.min > 0 ? `${o.limit.min}..` : 'up to '}${o.limit.max}: ${o.limit.basis}); ${greeting}`, ms, data }, statuses, hostnames: data.hostnames }
}

/** Everything for one target, in order; later checks are skipped (not failed) when an earlier one makes them moot. */
export async function endpointChecks(target: HttpTarget, o: EndpointOptions): Promise<Case[]> {
  const p = o.prefix ?? ''
  const skipped = (names: string[], why: string): Case[] => names.map((name) => ({ name: `${p}${name}`, ok: true, skipped: true, message: why, ms: 0 }))
  const rest = o.metrics ? ['work', 'metrics'] : ['work']
  const out: Case[] = []
  o.progress?.(`${p}healthz`)
  const health = await checkHealthz(target, o)
  out.push(health.c)
  if (health.unreachable) return [...out, ...skipped(['readyz', ...rest], health.certificate ? `not run: the certificate of ${target.base} was rejected` : health.notTls ? `not run: ${target.base} does not speak TLS (use http://, or the HTTPS port)` : `not run: ${target.base} is unreachable`)]
  o.progress?.(`${p}readyz`)
  const ready = await checkReadyz(target, o)
  out.push(ready)
  if (!ready.ok) return [...out, ...skipped(rest, 'not run: /readyz never turned 200')]

  let before: Scrape | undefined
  if (o.metrics) before = await readScrape(target, o.requestTimeoutMs, o.signal)
  o.progress?.(`${p}work: ${o.requests} calls`)
  const work = await checkWork(target, o)
  out.push(work.c)
  if (!o.metrics) return out
  const t0 = Date.now()
  const after = await readScrape(target, o.requestTimeoutMs, o.signal)
  const verdict = compareScrapes(before!, after, { statuses: work.statuses, hostnames: work.hostnames, requests: o.requests })
  out.push({ name: `${p}metrics`, ...verdict, ms: Date.now() - t0 + (before?.ms ?? 0) + after.ms })
  return out
}
