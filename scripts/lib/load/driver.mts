// The load generator: `concurrency` workers, each with its own keep-alive connection (an undici Client, no
// pipelining, as wrk and autocannon use one connection per worker), closed loop (each worker sends its next
// request when the previous one is answered) or open loop with --rate (requests are scheduled at fixed times
// and latency counts from the scheduled time, so a slow server cannot hide its queueing delay by slowing the
// client down: no "coordinated omission"). Always bounded: by request count, by duration, by the per-request
// timeout, and by the abort signal.
//
// undici rather than node:http: per request it costs the client half the CPU or less (scripts/bench/
// load-vs-wrk.mts, figures in README), and on a small machine the client's CPU is what the server does not get.
// Not autocannon, although cheaper still: it switches TLS certificate checks off and sends a rate in bursts.

import { performance } from 'node:perf_hooks'
import type { Client, Dispatcher } from 'undici'

export interface LoadPlan {
  /** the full URL every request GETs */
  url: URL
  concurrency: number
  /** stop issuing requests after this long */
  durationMs?: number
  /** stop after this many requests */
  requests?: number
  /** open loop: requests per second across all workers */
  rate?: number
  /** per-request timeout */
  timeoutMs: number
}

export interface RequestResult {
  /** ms from the scheduled send time (open loop) or the actual send (closed loop) to the full answer */
  latencyMs: number
  /** HTTP status, absent when no answer came */
  status?: number
  /** why no answer came: ECONNREFUSED, ECONNRESET, timeout, ... */
  error?: string
  /** monotonic ms (performance.now()) when the answer completed */
  at: number
}

export interface DriveOutcome {
  startedAt: number
  endedAt: number
  /** requests sent */
  sent: number
  /** open loop: requests that went out more than LATE_MS after their scheduled time (client saturated) */
  late: number
  aborted: boolean
}

/** a request that starts this much after its slot means the client (concurrency) could not keep the rate */
export const LATE_MS = 50

export interface DriveOptions {
  signal?: AbortSignal
  onResult(r: RequestResult): void
  now?: () => number
}

export interface Answer { status?: number; error?: string }

const HEADERS = { 'user-agent': 'platform-load/1', accept: '*/*' }

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (signal?.aborted) return resolve()
  const t = setTimeout(done, ms)
  function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve() }
  signal?.addEventListener('abort', done, { once: true })
})

/**
 * The reason a request got no answer, in the words a user searches for: errno codes as the socket reports
 * them (ECONNREFUSED, ENOTFOUND, certificate errors), undici's own codes folded into the few that matter.
 */
export function failureReason(e: Error & { code?: string }): string {
  switch (e.code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timeout'
    case 'UND_ERR_DESTROYED':
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return 'aborted'
    // the server closed the connection before answering ("other side closed"); node:http calls it ECONNRESET
    case 'UND_ERR_SOCKET':
      return e.message === 'bad response' ? 'bad response' : 'ECONNRESET'
    default:
      return e.code ?? e.message
  }
}

// undici is loaded when the first request is about to go out, not when a command that may send one starts
// (--help, flag errors and --dry-run never pay for it)
let undici: Promise<typeof import('undici')> | undefined

/** `n` keep-alive connections to the URL's origin; every wait on them is bounded by the per-request timeout. */
export async function createClients(url: URL, n: number, timeoutMs: number): Promise<Client[]> {
  const { Client } = await (undici ??= import('undici'))
  return Array.from({ length: n }, () => new Client(url.origin, { pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connect: { timeout: timeoutMs } }))
}

/** One GET on a client, body read to the end (and dropped). Never rejects: failures come back as `error`. */
export function send(client: Dispatcher, path: string): Promise<Answer> {
  return new Promise((resolve) => {
    let status = 0
    try {
      client.dispatch({ path, method: 'GET', headers: HEADERS }, {
        onRequestStart() {},
        onResponseStart(_c, code) { status = code },
        onResponseData() {},
        onResponseEnd() { resolve({ status }) },
        onResponseError(_c, e) { resolve({ error: failureReason(e) }) },
      })
    } catch (e) {
      resolve({ error: failureReason(e as Error) })
    }
  })
}

const pathOf = (url: URL) => `${url.pathname}${url.search}`

/** One GET on a connection of its own, closed afterwards (preflight, health checks). */
export async function getOnce(url: URL, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
  const [client] = (await createClients(url, 1, timeoutMs)) as [Client]
  const abort = () => { client.destroy().catch(() => {}) }
  signal?.addEventListener('abort', abort, { once: true })
  try {
    if (signal?.aborted) return { error: 'aborted' }
    return await send(client, pathOf(url))
  } finally {
    signal?.removeEventListener('abort', abort)
    await client.destroy().catch(() => {})
  }
}

export async function drive(plan: LoadPlan, options: DriveOptions): Promise<DriveOutcome> {
  if (plan.durationMs === undefined && plan.requests === undefined) throw new RangeError('a load plan needs a duration or a request count')
  const now = options.now ?? (() => performance.now())
  const signal = options.signal
  const path = pathOf(plan.url)
  const clients = await createClients(plan.url, plan.concurrency, plan.timeoutMs)
  // Ctrl-C: end every request in flight now (they come back as 'aborted' and are not counted)
  const abort = () => { for (const c of clients) c.destroy().catch(() => {}) }
  signal?.addEventListener('abort', abort, { once: true })
  const t0 = now()
  const endAt = plan.durationMs === undefined ? Infinity : t0 + plan.durationMs
  let sent = 0
  let late = 0
  let issued = 0

  const nextTicket = (): number | undefined => {
    if (signal?.aborted) return undefined
    if (plan.requests !== undefined && issued >= plan.requests) return undefined
    const scheduled = plan.rate ? t0 + (issued * 1000) / plan.rate : now()
    if (scheduled >= endAt || now() >= endAt) return undefined
    issued++
    return scheduled
  }

  // One worker per connection, driven by undici's callbacks rather than a promise per request: the hot loop
  // allocates nothing per request but what undici needs, which is a fifth less CPU per request.
  const worker = (client: Client) => new Promise<void>((done) => {
    let slot = 0
    let start = 0
    let status = 0
    let inFlight = false
    const complete = (r: Answer) => {
      if (!inFlight) return // one answer per request, whatever path reports it
      inFlight = false
      if (r.error === 'aborted') return done()
      const end = now()
      options.onResult({ latencyMs: end - (plan.rate ? slot : start), ...r, at: end })
      // after a failure yield to the event loop: a target that fails at once must not starve the live line
      if (r.error !== undefined) setImmediate(next)
      else next()
    }
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {},
      onResponseStart(_c, code) { status = code },
      onResponseData() {},
      onResponseEnd() { complete({ status }) },
      onResponseError(_c, e) { complete({ error: failureReason(e) }) },
    }
    const request = { path, method: 'GET' as const, headers: HEADERS }
    const go = () => {
      if (signal?.aborted) return done()
      start = now()
      if (plan.rate && start - slot > LATE_MS) late++
      sent++
      status = 0
      inFlight = true
      try {
        client.dispatch(request, handler)
      } catch (e) {
        complete({ error: failureReason(e as Error) })
      }
    }
    // timers may fire a fraction of a millisecond early: wait until the slot has really come
    const whenDue = () => {
      const wait = slot - now()
      if (wait > 0 && !signal?.aborted) void sleep(Math.max(1, wait), signal).then(whenDue)
      else go()
    }
    const next = () => {
      const ticket = nextTicket()
      if (ticket === undefined) return done()
      slot = ticket
      whenDue()
    }
    next()
  })

  try {
    await Promise.all(clients.map(worker))
  } finally {
    signal?.removeEventListener('abort', abort)
    await Promise.all(clients.map((c) => c.destroy().catch(() => {})))
  }
  return { startedAt: t0, endedAt: now(), sent, late, aborted: Boolean(signal?.aborted) }
}
