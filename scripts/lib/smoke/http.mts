// The HTTP client of the smoke checks: node:http (not fetch) so a Host header can be set for the gateway,
// a fresh connection per request (no keep-alive pool holding the process open), a per-request timeout,
// and transport errors returned as values with their code (ECONNREFUSED, ETIMEDOUT) instead of thrown.

import http from 'node:http'

export interface HttpTarget {
  /** http://127.0.0.1:<port> */
  base: string
  /** Host header (virtual host on the gateway), e.g. dev.demo.localhost */
  host?: string
}

export interface HttpAnswer {
  ok: true
  status: number
  headers: http.IncomingHttpHeaders
  body: string
  ms: number
}

export interface HttpFailure {
  ok: false
  /** ECONNREFUSED, ECONNRESET, ETIMEDOUT, ABORTED, ... */
  code: string
  message: string
  ms: number
}

export type HttpResult = HttpAnswer | HttpFailure

const MAX_BODY = 8 * 1024 * 1024

export function httpGet(target: HttpTarget, path: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<HttpResult> {
  const t0 = Date.now()
  const url = new URL(path, target.base)
  return new Promise((resolve) => {
    let settled = false
    const done = (r: HttpResult) => { if (!settled) { settled = true; resolve(r) } }
    if (opts.signal?.aborted) return done({ ok: false, code: 'ABORTED', message: 'cancelled', ms: 0 })
    const req = http.request(url, {
      method: 'GET',
      agent: false,
      headers: { ...(target.host ? { host: target.host } : {}), 'user-agent': 'platform-smoke', accept: '*/*', connection: 'close' },
      signal: opts.signal,
    }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > MAX_BODY) { req.destroy(); done({ ok: false, code: 'E2BIG', message: `answer larger than ${MAX_BODY} bytes`, ms: Date.now() - t0 }); return }
        chunks.push(c)
      })
      res.on('end', () => done({ ok: true, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - t0 }))
      res.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, code: e.code ?? 'ERESPONSE', message: e.message, ms: Date.now() - t0 }))
    })
    req.setTimeout(opts.timeoutMs, () => {
      req.destroy()
      done({ ok: false, code: 'ETIMEDOUT', message: `no answer within ${opts.timeoutMs} ms`, ms: Date.now() - t0 })
    })
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.name === 'AbortError' ? 'ABORTED' : e.code ?? 'EREQUEST'
      done({ ok: false, code, message: code === 'ECONNREFUSED' ? `connection refused (${url.host})` : e.message, ms: Date.now() - t0 })
    })
    req.end()
  })
}

/** "GET http://127.0.0.1:8080/readyz (Host: dev.demo.localhost)" for messages. */
export const describeRequest = (target: HttpTarget, path: string): string => `GET ${new URL(path, target.base).href}${target.host ? ` (Host: ${target.host})` : ''}`

/** A failed transport means nothing listens or the path to it is broken: no later check can succeed. */
export const isUnreachable = (r: HttpResult): boolean => !r.ok && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'].includes(r.code)
