// runSmoke: the whole smoke run as one function, used by scripts/smoke.mts and by the `smoke` phase of up.
// --url mode: the endpoint checks against one base URL (http or https). Cluster mode: per environment
// (concurrently) the app is discovered, reached through a managed port-forward to svc/demo and through the gateway
// over HTTPS (SNI/Host <env>.demo.localhost on 127.0.0.1:<https port>, certificate verified against the platform's
// CA) when something listens there, plus one plain-HTTP request through the gateway (HTTP stays served), HPA
// metrics and Prometheus targets; cluster-wide Flux, Grafana, Prometheus.

import type { Config, Environment } from '../shell/config.mts'
import { EXIT, StepError } from '../shell/errors.mts'
import { canConnect } from '../shell/ports.mts'
import { startPortForward, type PortForward } from '../forward/portforward.mts'
import { makeReport, type Report, type ReportCase } from '../reporters/model.mts'
import type { Runner } from '../shell/run.mts'
import { INSTALL_HINTS } from '../shell/run.mts'
import { readState } from '../shell/state.mts'
import { contextReachable } from '../tools/kubectl.mts'
import { buildTrust, type Trust } from '../tls/verify.mts'
import type { Ui } from '../shell/ui.mts'
import { checkFlux, discoverApp, pollUntil, probeGrafana, probeHpa, probePrometheusReady, probePrometheusTargets, type AppFacts } from './cluster.mts'
import { endpointChecks, type EndpointOptions, type FailureLimit } from './endpoint.mts'
import { describeRequest, httpGet } from './http.mts'
import { failureBand, maxFailuresForRate } from './stats.mts'

export interface SmokeContext {
  runner: Runner
  config: Config
  ui: Ui
  stateDir: string
  signal?: AbortSignal
  verbose?: boolean
}

export interface SmokeOptions {
  /** check this base URL only (no cluster) */
  url?: string
  /** how long /readyz (and HPA metrics, Prometheus targets) may take; default 60 s */
  readyTimeoutMs?: number
  /** /work calls per target; default 20 */
  requests?: number
  /** explicit limit on the share of 5xx answers; default 0.5 with url, FAIL_RATE + binomial margin in the cluster */
  maxErrorRate?: number
  /** --url mode: the exact greeting /work must return */
  expectGreeting?: string
  /** kube context; default config.kubeContext */
  context?: string
  environments?: readonly Environment[]
  /** host port of the gateway's HTTP listener; default: the remapped one in state, else INGRESS_HTTP_PORT */
  ingressPort?: number
  /** host port of the gateway's HTTPS listener; default: the remapped one in state, else INGRESS_HTTPS_PORT */
  ingressHttpsPort?: number
  /** PEM file with the CA(s) https checks verify against besides the system store; default: the platform's CA */
  caFile?: string
  /** the gateway must answer on its host port (up on kind, where the port mapping is ours); otherwise a gateway
   * that is not listening only skips the ingress checks (smoke against a cluster without one) */
  requireIngress?: boolean
  /** false-alarm probability of the /work ratio check against FAIL_RATE; default 0.001 */
  alpha?: number
  /** per HTTP request; default 5 s */
  requestTimeoutMs?: number
  /** parallel /work calls per target; default 4 */
  concurrency?: number
  /** which Flux Kustomizations/HelmReleases the flux check counts (default: all) */
  fluxScope?: (o: { kind: string; namespace: string; name: string }) => boolean
}

export const DEFAULTS = { readyTimeoutMs: 60_000, requests: 20, urlMaxErrorRate: 0.5, alpha: 0.001, requestTimeoutMs: 5000, concurrency: 4 }

export function limitFor(requests: number, opts: { maxErrorRate?: number; failRate?: number; alpha: number }): FailureLimit {
  if (opts.maxErrorRate !== undefined || opts.failRate === undefined) {
    const rate = opts.maxErrorRate ?? DEFAULTS.urlMaxErrorRate
    return { max: maxFailuresForRate(requests, rate), min: 0, basis: `max error rate ${rate}` }
  }
  const band = failureBand(requests, opts.failRate, opts.alpha)
  return { max: band.max, min: band.min, basis: `FAIL_RATE ${opts.failRate} from demo-config, binomial band with false-alarm probability ${opts.alpha}` }
}

type Case = Omit<ReportCase, 'classname'>
const withClass = (classname: string, cases: Case[]): ReportCase[] => cases.map((c) => ({ ...c, classname }))

async function timed(name: string, fn: () => Promise<{ ok: boolean; message: string; details?: string; data?: Record<string, unknown> }>): Promise<Case> {
  const t0 = Date.now()
  try {
    return { name, ...(await fn()), ms: Date.now() - t0 }
  } catch (e) {
    return { name, ok: false, message: e instanceof Error ? e.message : String(e), ms: Date.now() - t0 }
  }
}

function endpointOptions(ctx: SmokeContext, o: SmokeOptions, limit: FailureLimit, extra: Partial<EndpointOptions>): EndpointOptions {
  return {
    readyTimeoutMs: o.readyTimeoutMs ?? DEFAULTS.readyTimeoutMs,
    requests: o.requests ?? DEFAULTS.requests,
    limit,
    requestTimeoutMs: o.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    concurrency: o.concurrency ?? DEFAULTS.concurrency,
    metrics: true,
    signal: ctx.signal,
    ...extra,
  }
}

export async function runSmoke(ctx: SmokeContext, o: SmokeOptions = {}): Promise<Report> {
  return o.url ? runUrl(ctx, o, o.url) : runCluster(ctx, o)
}

async function runUrl(ctx: SmokeContext, o: SmokeOptions, url: string): Promise<Report> {
  const t0 = Date.now()
  const requests = o.requests ?? DEFAULTS.requests
  const limit = limitFor(requests, { maxErrorRate: o.maxErrorRate, alpha: o.alpha ?? DEFAULTS.alpha })
  const base = url.replace(/\/+$/, '')
  const trust = new URL(base).protocol === 'https:' ? buildTrust({ caFile: o.caFile, stateDir: ctx.stateDir }) : undefined
  const cases = await group(ctx.ui, `smoke ${base}`, async (update) => withClass('url', await endpointChecks({ base, secureContext: trust?.context }, endpointOptions(ctx, o, limit, {
    expectGreeting: o.expectGreeting,
    greetingSource: '--expect-greeting',
    progress: update,
  }))))
  return makeReport('smoke', cases, t0, { mode: 'url', url: base, requests, readyTimeoutSec: (o.readyTimeoutMs ?? DEFAULTS.readyTimeoutMs) / 1000, maxErrorRate: limit.max / requests, ...(trust ? { trust: trust.description } : {}) })
}

/** Lazily started, shared port-forwards (one Prometheus forward serves every environment's target check). */
function forwards(ctx: SmokeContext, context: string) {
  const started: PortForward[] = []
  const memo = new Map<string, Promise<PortForward>>()
  const get = (namespace: string, resource: string, remotePort: number, step: string): Promise<PortForward> => {
    const key = `${namespace}/${resource}:${remotePort}`
    let p = memo.get(key)
    if (!p) {
      p = startPortForward(ctx.runner, {
        context, namespace, resource, remotePort, step, signal: ctx.signal,
        onLog: ctx.verbose ? (l) => ctx.ui.info(l) : undefined,
      }).then((pf) => { started.push(pf); return pf })
      memo.set(key, p)
    }
    return p
  }
  const stopAll = async () => {
    await Promise.allSettled([...memo.values()])
    await Promise.all(started.map((pf) => pf.stop()))
  }
  return { get, stopAll }
}

/** ui.step shows ✔/✖ per group: a group with a failed case "fails" the step, its cases are still returned. */
class GroupFailed extends Error {
  readonly cases: ReportCase[]
  constructor(cases: ReportCase[]) {
    super(`${cases.filter((c) => !c.ok).map((c) => c.name).join(', ')} failed`)
    this.cases = cases
  }
}
async function group(ui: Ui, title: string, fn: (update: (line: string) => void) => Promise<ReportCase[]>): Promise<ReportCase[]> {
  try {
    return await ui.step(title, async (s) => {
      const cases = await fn((l) => s.update(l))
      if (cases.some((c) => !c.ok)) throw new GroupFailed(cases)
      return cases
    })
  } catch (e) {
    if (e instanceof GroupFailed) return e.cases
    throw e
  }
}

const skip = (names: string[], why: string): Case[] => names.map((name) => ({ name, ok: true, skipped: true, message: why, ms: 0 }))

async function runCluster(ctx: SmokeContext, o: SmokeOptions): Promise<Report> {
  const t0 = Date.now()
  const context = o.context ?? ctx.config.kubeContext
  const envs = o.environments ?? ctx.config.environments
  const requests = o.requests ?? DEFAULTS.requests
  const readyTimeoutMs = o.readyTimeoutMs ?? DEFAULTS.readyTimeoutMs
  const requestTimeoutMs = o.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs
  const alpha = o.alpha ?? DEFAULTS.alpha
  const remembered = readState(ctx.stateDir).ports
  const ingressPort = o.ingressPort ?? remembered?.http ?? ctx.config.ingressHttpPort
  const ingressHttpsPort = o.ingressHttpsPort ?? remembered?.https ?? ctx.config.ingressHttpsPort
  const trust: Trust = buildTrust({ caFile: o.caFile, stateDir: ctx.stateDir })
  // One question first: without kubectl or a reachable cluster every check would fail with the same reason.
  const reach = await contextReachable(ctx.runner, context, 'smoke')
  if (!reach.ok) {
    if (/kubectl: (command )?not found|No such file or directory/.test(reach.error ?? '')) throw new StepError({ step: 'smoke', message: 'kubectl is not installed or not on PATH', hint: INSTALL_HINTS.kubectl, exitCode: EXIT.missingTool })
    throw new StepError({ step: 'smoke', message: `cannot reach the cluster of context ${context}: ${reach.error}`, hint: 'start the platform with npx zx scripts/up.mts (or set KUBE_CONTEXT), or check one URL with --url', exitCode: EXIT.precondition })
  }
  const pf = forwards(ctx, context)
  const prometheus = () => pf.get('monitoring', 'svc/kube-prometheus-stack-prometheus', 9090, 'smoke/prometheus')
  const ingressUp = canConnect(ingressPort)
  const ingressHttpsUp = canConnect(ingressHttpsPort)
  const poll = (probe: Parameters<typeof pollUntil>[0]) => pollUntil(probe, readyTimeoutMs, { signal: ctx.signal })

  const clusterChecks = () => group(ctx.ui, 'smoke cluster: Flux, Grafana, Prometheus', async () => withClass('cluster', await Promise.all([
    timed('flux', () => checkFlux(ctx.runner, context, o.fluxScope)),
    timed('grafana', async () => {
      const g = await pf.get('monitoring', 'svc/kube-prometheus-stack-grafana', 80, 'smoke/grafana')
      return poll(() => probeGrafana(g.url, requestTimeoutMs, ctx.signal))
    }),
    timed('prometheus', async () => {
      const p = await prometheus()
      return poll(() => probePrometheusReady(p.url, requestTimeoutMs, ctx.signal))
    }),
  ])))

  const envChecks = (env: Environment) => group(ctx.ui, `smoke ${env}`, async (update) => {
    const ns = `demo-${env}`
    const cases: Case[] = []
    let facts: AppFacts | undefined
    cases.push(await timed('discover', async () => {
      const d = await discoverApp(ctx.runner, context, env)
      if (!d.ok) return d
      facts = d.facts
      return { ok: true, message: d.message, data: { failRate: d.facts.failRate, servicePort: d.facts.servicePort } }
    }))
    // Independent of the app's endpoints, and slow to settle after a deploy: polled meanwhile.
    const side = Promise.all([
      timed('hpa-metrics', () => poll(() => probeHpa(ctx.runner, context, ns))),
      timed('prometheus-target', async () => {
        const p = await prometheus()
        return poll(() => probePrometheusTargets(p.url, ns, requestTimeoutMs, ctx.signal))
      }),
    ])
    const endpointNames = ['healthz', 'readyz', 'work', 'metrics']
    if (!facts) {
      cases.push(...skip(['port-forward', ...endpointNames, 'ingress', 'ingress-http'], 'not run: the app was not found'))
    } else {
      const app = facts
      const limit = limitFor(requests, { maxErrorRate: o.maxErrorRate, failRate: app.failRate, alpha })
      const opts = endpointOptions(ctx, o, limit, { expectGreeting: app.greeting, greetingSource: `Secret ${ns}/demo-secret`, progress: update })
      let forward: PortForward | undefined
      cases.push(await timed('port-forward', async () => {
        // A port-forward to a Service pins ONE pod for its lifetime: every request below and both /metrics
        // scrapes reach the same instance, so the counters can be compared (the /work bodies prove it).
        forward = await pf.get(ns, 'svc/demo', app.servicePort, `smoke/${env}/port-forward`)
        return { ok: true, message: `127.0.0.1:${forward.localPort} -> svc/demo:${app.servicePort}` }
      }))
      if (!forward) cases.push(...skip(endpointNames, 'not run: no port-forward'))
      else {
        const fw = forward
        const generation = fw.generation
        const found = await endpointChecks({ base: fw.url }, opts)
        const broke = fw.generation !== generation || !fw.running
        cases.push(...found.map((c) => (!c.ok && broke ? { ...c, message: `${c.message} (${fw.exitReason ?? 'the port-forward restarted'})` } : c)))
      }
      const host = `${env}.demo.localhost`
      const notListening = (name: string, port: number) => {
        const why = `nothing listens on 127.0.0.1:${port} (gateway host port not up)`
        return o.requireIngress ? { name, ok: false, message: why, ms: 0 } : skip([name], why)[0]!
      }
      if (await ingressHttpsUp) {
        cases.push(...await endpointChecks({ base: `https://127.0.0.1:${ingressHttpsPort}`, host, secureContext: trust.context }, { ...opts, metrics: false, prefix: 'ingress/' }))
      } else cases.push(notListening('ingress', ingressHttpsPort))
      // HTTP stays served next to HTTPS (README: "HTTPS and the local CA"): one request proves its listener and routes
      if (await ingressUp) {
        cases.push(await timed('ingress-http', async () => {
          const r = await httpGet({ base: `http://127.0.0.1:${ingressPort}`, host }, '/healthz', { timeoutMs: requestTimeoutMs, signal: ctx.signal })
          return r.ok && r.status === 200 ? { ok: true, message: `200 in ${r.ms} ms` } : { ok: false, message: `${describeRequest({ base: `http://127.0.0.1:${ingressPort}`, host }, '/healthz')}: ${r.ok ? `HTTP ${r.status}, expected 200` : r.message}` }
        }))
      } else cases.push(notListening('ingress-http', ingressPort))
    }
    cases.push(...await side)
    return withClass(env, cases)
  })

  try {
    const all = (await Promise.all([clusterChecks(), ...envs.map(envChecks)])).flat()
    return makeReport('smoke', all, t0, { mode: 'cluster', context, environments: envs.join(','), requests, readyTimeoutSec: readyTimeoutMs / 1000, ingressPort, ingressHttpsPort, trust: trust.description, alpha })
  } finally {
    await pf.stopAll()
  }
}
