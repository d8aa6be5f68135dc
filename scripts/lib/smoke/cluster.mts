// Cluster-side facts and checks of the smoke run: what each environment's app is configured with (ConfigMap
// FAIL_RATE, Secret GREETING), Flux readiness, HPA metrics (metrics-server), Grafana/Prometheus health and
// Prometheus' scrape targets. kubectl goes through the adapter; polls are bounded by a deadline.

import { registerSecret } from '../shell/redact.mts'
import type { Runner } from '../shell/run.mts'
import { kubectlGetJson } from '../tools/kubectl.mts'
import { httpGet } from './http.mts'

type Outcome = { ok: boolean; message: string; details?: string; data?: Record<string, unknown> }

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms)
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
})

/** Poll `probe` until it passes or the deadline; the last outcome (with how long we waited) is the verdict. */
export async function pollUntil(probe: () => Promise<Outcome>, timeoutMs: number, opts: { signal?: AbortSignal; everyMs?: number } = {}): Promise<Outcome> {
  const t0 = Date.now()
  let every = opts.everyMs ?? 1000
  for (;;) {
    const r = await probe()
    if (r.ok || opts.signal?.aborted || Date.now() + every >= t0 + timeoutMs) {
      return r.ok ? r : { ...r, message: `${r.message} (still so after ${Math.round((Date.now() - t0) / 1000)}s)` }
    }
    await sleep(every, opts.signal)
    every = Math.min(every * 2, 5000)
  }
}

/**
 * The greeting is a demo value, not a credential, so it is shown in messages (a mismatch is useless without
 * it). Should someone put a token-like value there, it is registered with redact() and printed as ***.
 */
export function looksLikeCredential(s: string): boolean {
  if (s.length < 16 || /\s/.test(s)) return false
  return /^[A-Za-z0-9+/=_.:-]+$/.test(s) && /[A-Za-z]/.test(s) && /\d/.test(s)
}

export interface AppFacts {
  namespace: string
  servicePort: number
  failRate: number
  greeting: string
}

export async function discoverApp(r: Runner, context: string, env: string): Promise<{ ok: true; facts: AppFacts; message: string } | { ok: false; message: string }> {
  const namespace = `demo-${env}`
  const step = `smoke/${env}/discover`
  const [svc, cm, secret] = await Promise.all([
    kubectlGetJson<Record<string, any>>(r, context, ['service', 'demo', '-n', namespace], step),
    kubectlGetJson<Record<string, any>>(r, context, ['configmap', 'demo-config', '-n', namespace], step),
    kubectlGetJson<Record<string, any>>(r, context, ['secret', 'demo-secret', '-n', namespace], step),
  ])
  const missing = [[svc, 'Service demo'], [cm, 'ConfigMap demo-config'], [secret, 'Secret demo-secret']] as const
  const bad = missing.filter(([x]) => !x.ok).map(([x, what]) => `${what}: ${x.error}`)
  if (bad.length) return { ok: false, message: `in namespace ${namespace}: ${bad.join('; ')}` }
  const ports = (svc.data?.spec?.ports ?? []) as { name?: string; port: number }[]
  const servicePort = ports.find((p) => p.name === 'http')?.port ?? ports[0]?.port
  if (!servicePort) return { ok: false, message: `Service ${namespace}/demo has no ports` }
  const raw = cm.data?.data?.FAIL_RATE as string | undefined
  const failRate = raw === undefined ? 0 : Number(raw)
  if (!Number.isFinite(failRate) || failRate < 0 || failRate > 1) return { ok: false, message: `ConfigMap ${namespace}/demo-config has FAIL_RATE=${JSON.stringify(raw)}, not a number from 0 to 1` }
  const b64 = secret.data?.data?.GREETING as string | undefined
  if (b64 === undefined) return { ok: false, message: `Secret ${namespace}/demo-secret has no key GREETING` }
  const greeting = Buffer.from(b64, 'base64').toString('utf8')
  if (looksLikeCredential(greeting)) registerSecret(greeting)
  return { ok: true, facts: { namespace, servicePort, failRate, greeting }, message: `Service demo:${servicePort}, FAIL_RATE ${failRate}${raw === undefined ? ' (unset)' : ''}, GREETING from Secret demo-secret` }
}

interface Condition { type: string; status: string; reason?: string; message?: string }
interface FluxObject { kind: string; metadata: { name: string; namespace?: string }; spec?: { suspend?: boolean }; status?: { conditions?: Condition[] } }

/**
 * Every Flux Kustomization and HelmRelease Ready=True (suspended ones are failures too: they do not reconcile).
 * `scope` narrows the objects that count (promote's gate ignores the other environments' Kustomizations).
 */
export async function checkFlux(r: Runner, context: string, scope?: (o: { kind: string; namespace: string; name: string }) => boolean): Promise<Outcome> {
  const res = await kubectlGetJson<{ items: FluxObject[] }>(r, context, ['kustomizations.kustomize.toolkit.fluxcd.io,helmreleases.helm.toolkit.fluxcd.io', '-A'], 'smoke/flux')
  if (!res.ok) return { ok: false, message: `cannot list Flux objects: ${res.error}` }
  const items = (res.data?.items ?? []).filter((o) => !scope || scope({ kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name }))
  if (items.length === 0) return { ok: false, message: 'no Flux Kustomizations or HelmReleases found (is Flux bootstrapped?)' }
  const notReady = items.filter((o) => o.spec?.suspend || !(o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'))
  const label = (o: FluxObject) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`
  if (notReady.length) {
    const why = (o: FluxObject) => {
      if (o.spec?.suspend) return 'suspended'
      const c = (o.status?.conditions ?? []).find((x) => x.type === 'Ready')
      return c ? `${c.reason ?? c.status}: ${c.message ?? ''}`.trim() : 'no Ready condition yet'
    }
    return { ok: false, message: `${notReady.length} of ${items.length} not Ready: ${notReady.map(label).join(', ')}`, details: notReady.map((o) => `${label(o)}: ${why(o)}`).join('\n') }
  }
  return { ok: true, message: `${items.length} Kustomizations/HelmReleases Ready`, data: { count: items.length } }
}

interface Hpa { metadata: { name: string }; status?: { currentMetrics?: { type: string; resource?: { name: string; current?: { averageUtilization?: number; averageValue?: string } } }[] } }

/** metrics-server serves: the environment's HPAs report current resource metrics. */
export async function probeHpa(r: Runner, context: string, namespace: string): Promise<Outcome> {
  const res = await kubectlGetJson<{ items: Hpa[] }>(r, context, ['hpa', '-n', namespace], `smoke/${namespace}/hpa`)
  if (!res.ok) return { ok: false, message: `cannot list HPAs in ${namespace}: ${res.error}` }
  const items = res.data?.items ?? []
  if (items.length === 0) return { ok: false, message: `no HorizontalPodAutoscaler in ${namespace}` }
  const values = (h: Hpa) => (h.status?.currentMetrics ?? []).filter((m) => m.resource?.current && (m.resource.current.averageUtilization !== undefined || m.resource.current.averageValue !== undefined))
  const without = items.filter((h) => values(h).length === 0)
  if (without.length) return { ok: false, message: `HPA ${without.map((h) => h.metadata.name).join(', ')} has no current metrics (is metrics-server serving? kubectl top pods -n ${namespace})` }
  const shown = items.flatMap((h) => values(h).map((m) => `${m.resource!.name} ${m.resource!.current!.averageUtilization !== undefined ? `${m.resource!.current!.averageUtilization}%` : m.resource!.current!.averageValue}`))
  return { ok: true, message: `current metrics: ${shown.join(', ')}` }
}

export async function probeGrafana(base: string, timeoutMs: number, signal?: AbortSignal): Promise<Outcome> {
  const res = await httpGet({ base }, '/api/health', { timeoutMs, signal })
  if (!res.ok) return { ok: false, message: `GET /api/health: ${res.message}` }
  if (res.status !== 200) return { ok: false, message: `GET /api/health answered HTTP ${res.status}` }
  let db: unknown
  try { db = (JSON.parse(res.body) as { database?: unknown }).database } catch { /* checked below */ }
  if (db !== 'ok') return { ok: false, message: `GET /api/health: database is ${JSON.stringify(db ?? null)}, expected "ok"` }
  return { ok: true, message: '/api/health 200, database ok' }
}

export async function probePrometheusReady(base: string, timeoutMs: number, signal?: AbortSignal): Promise<Outcome> {
  const res = await httpGet({ base }, '/-/ready', { timeoutMs, signal })
  if (!res.ok) return { ok: false, message: `GET /-/ready: ${res.message}` }
  if (res.status !== 200) return { ok: false, message: `GET /-/ready answered HTTP ${res.status}` }
  return { ok: true, message: '/-/ready 200' }
}

interface Target { labels?: Record<string, string>; health?: string; lastError?: string; scrapeUrl?: string }

/** Prometheus scrapes the environment's app: active targets in the namespace, all of them up. */
export async function probePrometheusTargets(base: string, namespace: string, timeoutMs: number, signal?: AbortSignal): Promise<Outcome> {
  const res = await httpGet({ base }, '/api/v1/targets?state=active', { timeoutMs, signal })
  if (!res.ok) return { ok: false, message: `GET /api/v1/targets: ${res.message}` }
  if (res.status !== 200) return { ok: false, message: `GET /api/v1/targets answered HTTP ${res.status}` }
  let targets: Target[]
  try {
    targets = ((JSON.parse(res.body) as { data?: { activeTargets?: Target[] } }).data?.activeTargets ?? [])
  } catch {
    return { ok: false, message: 'GET /api/v1/targets returned no JSON' }
  }
  const mine = targets.filter((t) => t.labels?.namespace === namespace)
  if (mine.length === 0) return { ok: false, message: `no Prometheus target in namespace ${namespace} (ServiceMonitor demo not picked up?)` }
  const down = mine.filter((t) => t.health !== 'up')
  if (down.length) {
    return { ok: false, message: `${down.length} of ${mine.length} targets in ${namespace} not up`, details: down.map((t) => `${t.scrapeUrl ?? t.labels?.instance}: ${t.health} ${t.lastError ?? ''}`.trim()).join('\n') }
  }
  return { ok: true, message: `${mine.length} target${mine.length === 1 ? '' : 's'} up`, data: { targets: mine.length } }
}
