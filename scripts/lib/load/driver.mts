// The load generator: `concurrency` workers over keep-alive HTTP connections, closed loop (each worker sends
// its next request when the previous one is answered) or open loop with --rate (requests are scheduled at
// fixed times and latency counts from the scheduled time, so a slow server cannot hide its queueing delay by
// slowing the client down: no "coordinated omission"). Always bounded: by request count, by duration, by
// the per-request timeout, and by the abort signal.

import http from 'node:http'
import https from 'node:https'
import { performance } from 'node:perf_hooks'

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

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (signal?.aborted) return resolve()
  const t = setTimeout(done, ms)
  function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve() }
  signal?.addEventListener('abort', done, { once: true })
})

/** One GET, body read to the end. Never throws: failures come back as `error`. */
export function getOnce(url: URL, agent: http.Agent, timeoutMs: number, signal?: AbortSignal): Promise<{ status?: number; error?: string }> {
  const mod = url.protocol === 'https:' ? https : http
  return new Promise((resolve) => {
    let settled = false
    const finish = (r: { status?: number; error?: string }) => { if (!settled) { settled = true; resolve(r) } }
    const req = mod.request(url, { method: 'GET', agent, headers: { 'user-agent': 'platform-load/1', accept: '*/*' }, ...(signal ? { signal } : {}) }, (res) => {
      res.on('data', () => {})
      res.on('end', () => finish({ status: res.statusCode ?? 0 }))
      res.on('error', (e: NodeJS.ErrnoException) => finish({ error: e.code ?? e.message }))
    })
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })))
    req.on('error', (e: NodeJS.ErrnoException) => finish({ error: e.name === 'AbortError' ? 'aborted' : e.code ?? e.message }))
    req.end()
  })
}

export function createAgent(url: URL, concurrency: number): http.Agent {
  const opts = { keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency }
  return url.protocol === 'https:' ? new https.Agent(opts) : new http.Agent(opts)
}

export async function drive(plan: LoadPlan, options: DriveOptions): Promise<DriveOutcome> {
  if (plan.durationMs === undefined && plan.requests === undefined) throw new RangeError('a load plan needs a duration or a request count')
  const now = options.now ?? (() => performance.now())
  const signal = options.signal
  const agent = createAgent(plan.url, plan.concurrency)
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

  const worker = async () => {
    for (let t = nextTicket(); t !== undefined; t = nextTicket()) {
      // timers may fire a fraction of a millisecond early: wait until the slot has really come
      for (let wait = t - now(); wait > 0 && !signal?.aborted; wait = t - now()) await sleep(Math.max(1, wait), signal)
      if (signal?.aborted) return
      const start = now()
      if (plan.rate && start - t > LATE_MS) late++
      sent++
      const r = await getOnce(plan.url, agent, plan.timeoutMs, signal)
      if (r.error === 'aborted') return
      const end = now()
      options.onResult({ latencyMs: end - (plan.rate ? t : start), ...r, at: end })
    }
  }

  try {
    await Promise.all(Array.from({ length: plan.concurrency }, worker))
  } finally {
    agent.destroy()
  }
  return { startedAt: t0, endedAt: now(), sent, late, aborted: Boolean(signal?.aborted) }
}
