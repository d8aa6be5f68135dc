// Flags -> a validated load plan. Pure, so every bad combination is a unit test and fails before any request.

import { ALL_ENVIRONMENTS, type Environment } from '../shell/config.mts'
import { EXIT, StepError } from '../shell/errors.mts'

export interface LoadFlags {
  url?: string | undefined
  env?: string | undefined
  path?: string | undefined
  concurrency?: number | undefined
  duration?: number | undefined
  requests?: number | undefined
  rate?: number | undefined
  timeout?: number | undefined
  interval?: number | undefined
  'hpa-interval'?: number | undefined
  'skip-hpa'?: boolean | undefined
  'max-error-rate'?: number | undefined
  confidence?: number | undefined
}

export interface ResolvedPlan {
  /** --url as given (base, without the path), absent when the target is reached through a port-forward */
  baseUrl?: string
  env?: Environment
  path: string
  concurrency: number
  durationMs?: number
  requests?: number
  rate?: number
  timeoutMs: number
  /** live line period; undefined = the default for the output (1s terminal, 5s logs) */
  intervalMs?: number
  /** watch the HPA of demo-<env> (needs --env) */
  hpa: boolean
  hpaIntervalMs: number
  maxErrorRate?: number
  confidence: number
}

export const DEFAULT_DURATION_S = 30
export const MAX_CONCURRENCY = 1000
export const MAX_DURATION_S = 24 * 3600

const usage = (message: string, hint = 'see npx zx scripts/load.mts --help') => new StepError({ step: 'flags', message, hint, exitCode: EXIT.usage })

function positive(name: string, v: number | undefined, opts: { integer?: boolean; max?: number; min?: number } = {}): number | undefined {
  if (v === undefined) return undefined
  const min = opts.min ?? 0
  if (!Number.isFinite(v) || v <= min || (opts.integer && !Number.isInteger(v)) || (opts.max !== undefined && v > opts.max)) {
    const what = `${opts.integer ? 'an integer' : 'a number'} ${opts.integer ? `>= ${min + 1}` : `> ${min}`}${opts.max !== undefined ? ` and <= ${opts.max}` : ''}`
    throw usage(`--${name} ${v} is not ${what}`)
  }
  return v
}

/** Base URL check: http(s) only, no query; the request path comes from --path. */
export function parseBaseUrl(raw: string): URL {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw usage(`--url ${raw} is not a URL`, 'pass a base URL like http://127.0.0.1:8000')
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usage(`--url ${raw} must start with http:// or https://`)
  return u
}

/** base + path, keeping a base path prefix (http://host/prefix + /work -> http://host/prefix/work) */
export function targetUrl(base: string, path: string): URL {
  const u = new URL(base)
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`
  return u
}

export function resolvePlan(f: LoadFlags): ResolvedPlan {
  if (!f.url && !f.env) throw usage('say where to send the load: --url <base> (a running app) or --env <dev|staging|production> (through a port-forward to the cluster)')
  if (f.env !== undefined && !(ALL_ENVIRONMENTS as readonly string[]).includes(f.env)) throw usage(`--env ${f.env} is not one of ${ALL_ENVIRONMENTS.join(', ')}`)
  if (f.url) parseBaseUrl(f.url)
  const path = f.path ?? '/work'
  if (!path.startsWith('/')) throw usage(`--path ${path} must start with /`)
  const concurrency = positive('concurrency', f.concurrency, { integer: true, max: MAX_CONCURRENCY }) ?? 10
  const requests = positive('requests', f.requests, { integer: true })
  const durationS = positive('duration', f.duration, { max: MAX_DURATION_S })
  const rate = positive('rate', f.rate, { max: 100_000 })
  const timeoutS = positive('timeout', f.timeout, { max: 600 }) ?? 10
  const intervalS = positive('interval', f.interval, { max: 3600 })
  const hpaIntervalS = positive('hpa-interval', f['hpa-interval'], { max: 3600 }) ?? 5
  if (hpaIntervalS < 1) throw usage(`--hpa-interval ${hpaIntervalS} is below 1 second (each poll runs kubectl)`)
  const maxErrorRate = f['max-error-rate']
  if (maxErrorRate !== undefined && !(maxErrorRate >= 0 && maxErrorRate <= 1)) throw usage(`--max-error-rate ${maxErrorRate} is not between 0 and 1`)
  const confidence = f.confidence ?? 0.95
  if (!(confidence > 0 && confidence < 1)) throw usage(`--confidence ${confidence} is not between 0 and 1 (exclusive)`)
  const hpaWanted = !f['skip-hpa']
  return {
    ...(f.url ? { baseUrl: f.url } : {}),
    ...(f.env ? { env: f.env as Environment } : {}),
    path,
    concurrency,
    // neither bound given: a default duration, so a run always ends by itself
    ...(durationS === undefined && requests === undefined ? { durationMs: DEFAULT_DURATION_S * 1000 } : {}),
    ...(durationS !== undefined ? { durationMs: durationS * 1000 } : {}),
    ...(requests !== undefined ? { requests } : {}),
    ...(rate !== undefined ? { rate } : {}),
    timeoutMs: timeoutS * 1000,
    ...(intervalS !== undefined ? { intervalMs: intervalS * 1000 } : {}),
    hpa: Boolean(f.env) && hpaWanted,
    hpaIntervalMs: hpaIntervalS * 1000,
    ...(maxErrorRate !== undefined ? { maxErrorRate } : {}),
    confidence,
  }
}
