// The HTTP client of the smoke checks: node:http/https (not fetch) so a Host header (and for https the SNI name
// the certificate is checked against) can be set for the gateway, a fresh connection per request (no keep-alive
// pool holding the process open), a per-request timeout, and transport errors returned as values with their
// code (ECONNREFUSED, ETIMEDOUT, CERT_HAS_EXPIRED) instead of thrown. Certificates are always verified.

import http from 'node:http'
import https from 'node:https'
import type tls from 'node:tls'
import { describeCertificateError, type CertificateProblem } from '../tls/verify.mts'

export interface HttpTarget {
  /** http://127.0.0.1:<port> or https://127.0.0.1:<port> */
  base: string
  /** Host header (virtual host on the gateway), e.g. dev.demo.localhost; for https also the SNI name and the
   * name the certificate must carry */
  host?: string
  /** https: the CAs to verify against (lib/tls/verify.mts buildTrust); without it Node's defaults */
  secureContext?: tls.SecureContext
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
  /** ECONNREFUSED, ECONNRESET, ETIMEDOUT, ABORTED, CERT_HAS_EXPIRED, ... */
  code: string
  message: string
  ms: number
  /** set when the server's certificate was rejected */
  certificate?: CertificateProblem
  /** set when https:// met a server that does not speak TLS (an http:// one): no retry can change that */
  notTls?: boolean
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
    const secure = url.protocol === 'https:'
    const options: https.RequestOptions & { secureContext?: tls.SecureContext } = {
      method: 'GET',
      agent: false,
      headers: { ...(target.host ? { host: target.host } : {}), 'user-agent': 'platform-smoke', accept: '*/*', connection: 'close' },
      signal: opts.signal,
    }
    if (secure) {
      // explicit: an unset option would fall back to NODE_TLS_REJECT_UNAUTHORIZED
      options.rejectUnauthorized = true
      if (target.secureContext) options.secureContext = target.secureContext
      // the name to send as SNI and to find in the certificate: the virtual host, not 127.0.0.1
      if (target.host) options.servername = target.host.replace(/:\d+$/, '')
    }
    const req = (secure ? https : http).request(url, options, (res) => {
      // belt and braces: never read an answer over a connection whose certificate was not verified
      if (secure && !(res.socket as tls.TLSSocket).authorized) {
        req.destroy()
        done({ ok: false, code: 'ETLSUNVERIFIED', message: `certificate not verified: ${(res.socket as tls.TLSSocket).authorizationError ?? 'unknown reason'}`, ms: Date.now() - t0, certificate: 'rejected' })
        return
      }
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
      const cert = secure ? describeCertificateError(e) : undefined
      if (cert) return done({ ok: false, code, message: cert.message, ms: Date.now() - t0, certificate: cert.problem })
      const notTls = secure && (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER') && /wrong version number|packet length too long|http request/i.test(e.message)
      done({ ok: false, code, message: code === 'ECONNREFUSED' ? `connection refused (${url.host})` : notTls ? `no TLS on the other end (an http:// server?): ${e.message}` : e.message, ms: Date.now() - t0, ...(notTls ? { notTls } : {}) })
    })
    req.end()
  })
}

/** "GET http://127.0.0.1:8080/readyz (Host: dev.demo.localhost)" for messages. */
export const describeRequest = (target: HttpTarget, path: string): string => `GET ${new URL(path, target.base).href}${target.host ? ` (Host: ${target.host})` : ''}`

/** A failed transport means nothing listens or the path to it is broken: no later check can succeed. */
export const isUnreachable = (r: HttpResult): boolean => !r.ok && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'].includes(r.code)

/** https:// against a plain-HTTP server: no later check can succeed until the URL changes. */
export const isNotTls = (r: HttpResult): boolean => !r.ok && r.notTls === true

/** A rejected certificate: no later check over the same connection can succeed either. */
export const isCertificateFailure = (r: HttpResult): boolean => !r.ok && r.certificate !== undefined

/** Nothing listens, the certificate is rejected, or no TLS is there: waiting or asking again cannot help. */
export const isHopeless = (r: HttpResult): boolean => isUnreachable(r) || isCertificateFailure(r) || isNotTls(r)
