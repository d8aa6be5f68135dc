// A platform for promote tests, against the fake CLIs: `up` (add-ons, Flux, wait) runs ONCE per test file into a
// template; every test gets a copy (fake state + platform state dir; the pushed artifacts are content-addressed
// and shared read-only with the template). The live checks get what they need: the real demo app per environment
// behind the fake kubectl port-forward, a monitoring stand-in (Grafana health, Prometheus ready + scrape targets),
// a gateway stand-in routing <env>.demo.localhost to the apps, and Running pods (the Deployments' templates, with
// pod IPs) so the netpol probes have sources.
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import path from 'node:path'
import tls from 'node:tls'
import { writeStateFile } from '../../scripts/lib/shell/state.mts'
import { fakeEnv, type FakeEnv } from '../helpers/fakes.mts'
import { runScript, type ProcResult } from '../helpers/proc.mts'
import { issueLeaf, testCa } from '../helpers/tls.mts'
import { forwardRecords, freePort, killAll, startApp, type RunningApp } from '../smoke/support.mts'
import { clusterWorld, seedPlatformState } from '../up/world.mts'

export const CTX = 'kind-platform'
export const ENVS = ['dev', 'staging', 'production'] as const
export type Env = (typeof ENVS)[number]
const GREETING = 'Hello from the platform demo' // apps/base/secret.yaml

/** Smoke flags that make the checks deterministic against FAIL_RATE 0 apps (the overlays say 0.2 / 0.05). */
export const GATE_FLAGS = ['--requests', '6', '--max-error-rate', '0.5', '--ready-timeout', '10']

async function listen(handler: http.RequestListener, tlsOptions?: https.ServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const srv = tlsOptions ? https.createServer(tlsOptions, handler) : http.createServer(handler)
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as { port: number }).port
  return { port, close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()) }) }
}

export interface Services {
  apps: Record<Env | 'broken', RunningApp>
  monitoring: number
  gateway: number
  /** the gateway's HTTPS port: a certificate per <env>.demo.localhost from the platform CA */
  gatewayHttps: number
  /** the platform CA (as up keeps it in <STATE_DIR>/tls/ca.crt) */
  caPem: string
  stop(): Promise<void>
}

/** The processes every world of a file shares: healthy apps per environment, one that fails every /work call. */
export async function startServices(): Promise<Services> {
  const apps = {} as Record<Env | 'broken', RunningApp>
  for (const env of ENVS) apps[env] = await startApp({ GREETING, APP_ENV: env, FAIL_RATE: '0', READINESS_DELAY_SEC: '0' })
  apps.broken = await startApp({ GREETING, APP_ENV: 'dev', FAIL_RATE: '1', READINESS_DELAY_SEC: '0' })
  const targets = ENVS.map((env) => ({ labels: { namespace: `demo-${env}`, service: 'demo', job: 'demo' }, scrapeUrl: 'http://10.244.1.5:8000/metrics', health: 'up', lastError: '' }))
  const monitoring = await listen((req, res) => {
    const url = req.url ?? '/'
    if (url === '/api/health') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ database: 'ok', version: '12.0.0' })); return }
    if (url === '/-/ready') { res.writeHead(200); res.end('Prometheus Server is Ready.\n'); return }
    if (url.startsWith('/api/v1/targets')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ status: 'success', data: { activeTargets: targets, droppedTargets: [] } })); return }
    res.writeHead(404); res.end()
  })
  const route: http.RequestListener = (req, res) => {
    const env = /^(\w+)\.demo\.localhost(:\d+)?$/.exec(req.headers.host ?? '')?.[1] as Env | undefined
    const app = env && (ENVS as readonly string[]).includes(env) ? apps[env] : undefined
    if (!app) { res.writeHead(404); res.end('no route\n'); return }
    const up = http.request(`${app.base}${req.url}`, { method: req.method, agent: false }, (r) => { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res) })
    up.on('error', () => { res.writeHead(502); res.end() })
    up.end()
  }
  const gateway = await listen(route)
  // the gateway over HTTPS, as cert-manager's certificates from the platform CA serve it (SNI picks the host's)
  const ca = await testCa()
  const certs = new Map<string, tls.SecureContext>()
  for (const env of ENVS) {
    const leaf = await issueLeaf(ca, { dnsNames: [`${env}.demo.localhost`] })
    certs.set(`${env}.demo.localhost`, tls.createSecureContext({ cert: leaf.certPem, key: leaf.keyPem }))
  }
  const fallback = await issueLeaf(ca, { dnsNames: ['traefik.default'] })
  const gatewayHttps = await listen(route, { cert: fallback.certPem, key: fallback.keyPem, SNICallback: (name, cb) => cb(null, certs.get(name)) })
  return {
    apps, monitoring: monitoring.port, gateway: gateway.port, gatewayHttps: gatewayHttps.port, caPem: ca.certPem,
    async stop() {
      await Promise.all([...Object.values(apps).map((a) => a.stop()), monitoring.close(), gateway.close(), gatewayHttps.close()])
    },
  }
}

const line = (r: ProcResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`

/**
 * `up` once (first image tag "aaaaaaaaaaaa"): the platform the tests of a file start from; `synced`: then a sync
 * with a new image (tag "bbbbbbbbbbbb"), so dev runs a digest staging and production do not.
 */
export async function buildTemplate(s: Services, o: { synced?: boolean } = {}): Promise<FakeEnv> {
  const f = clusterWorld({ INGRESS_HTTP_PORT: String(s.gateway), INGRESS_HTTPS_PORT: String(s.gatewayHttps) })
  seedPlatformState(f, { image: { repository: 'kind-registry:5000/demo', tag: 'aaaaaaaaaaaa', sourceHash: 'a' } })
  // the add-ons phase (helm, namespaces, Grafana secret) adds nothing the promote checks read from the fakes
  const r = await runScript('up', ['--only', 'flux,reconcile'], { env: f.env, timeoutMs: 180_000 })
  if (r.code !== 0) throw new Error(`template up failed: ${line(r)}`)
  if (o.synced) {
    const s2 = await syncNewImage(f)
    if (s2.code !== 0) throw new Error(`template sync failed: ${line(s2)}`)
  }
  return f
}

export interface World {
  f: FakeEnv
  run(args: string[], opts?: { stdin?: 'closed' | 'open' }): Promise<ProcResult>
  /** digest (hex) per tag of the apps repository */
  tags(): Record<string, string>
  /** the demo image each environment's Deployment runs */
  image(env: Env): string
  /** point an environment's port-forward at another app process (e.g. the broken one) */
  route(env: Env, app: RunningApp): void
  cleanup(): void
}

/** Running pods of every demo Deployment (two each, so there are pod pairs to probe), as a scheduler would make. */
function podsFor(objects: any[]): any[] {
  const pods: any[] = []
  ENVS.forEach((env, e) => {
    const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.namespace === `demo-${env}` && o.metadata.name === 'demo')
    if (!dep) return
    for (const i of [1, 2]) {
      pods.push({
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: `demo-${i}`, namespace: `demo-${env}`, labels: { ...dep.spec.template.metadata.labels } },
        spec: { containers: dep.spec.template.spec.containers.map((c: any) => ({ name: c.name, image: c.image, ports: c.ports })) },
        status: { phase: 'Running', podIP: `10.244.${e + 1}.${i + 10}` },
      })
    }
  })
  return pods
}

export function world(template: FakeEnv, s: Services): World {
  const f = fakeEnv({}, { CI: '1', INGRESS_HTTP_PORT: String(s.gateway), INGRESS_HTTPS_PORT: String(s.gatewayHttps) })
  fs.copyFileSync(path.join(template.dir, 'state.json'), path.join(f.dir, 'state.json'))
  fs.cpSync(template.env.STATE_DIR!, f.env.STATE_DIR!, { recursive: true })
  writeStateFile(f.env.STATE_DIR!, 'tls/ca.crt', s.caPem, { keep: true })
  const forwards: Record<string, unknown> = {
    'monitoring/svc/kube-prometheus-stack-grafana': `127.0.0.1:${s.monitoring}`,
    'monitoring/svc/kube-prometheus-stack-prometheus': `127.0.0.1:${s.monitoring}`,
  }
  for (const env of ENVS) forwards[`demo-${env}/svc/demo`] = { address: new URL(s.apps[env].base).host, targetPort: 8000 }
  f.setState((st) => {
    st.kube.forwards = forwards
    st.kube.objects[CTX].push(...podsFor(st.kube.objects[CTX]))
  })
  const objects = () => f.state().kube.objects[CTX] as any[]
  return {
    f,
    run: (args, opts = {}) => runScript('promote', args, { env: f.env, timeoutMs: 180_000, ...opts }),
    tags: () => Object.fromEntries(Object.entries(f.state().flux.artifacts as Record<string, { digest: string }>).filter(([k]) => k.startsWith('apps:')).map(([k, a]) => [k.slice(5), a.digest])),
    image: (env) => objects().find((o) => o.kind === 'Deployment' && o.metadata.namespace === `demo-${env}`).spec.template.spec.containers[0].image,
    route: (env, app) => f.setState((st) => { st.kube.forwards[`demo-${env}/svc/demo`] = { address: new URL(app.base).host, targetPort: 8000 } }),
    cleanup() {
      killAll(forwardRecords(f.dir))
      f.cleanup()
    },
  }
}

/** A new demo image (tag "bbbbbbbbbbbb", pinned in every overlay of the apps artifact) reaches dev through sync. */
export async function syncNewImage(f: FakeEnv): Promise<ProcResult> {
  seedPlatformState(f, { ...JSON.parse(fs.readFileSync(path.join(f.env.STATE_DIR!, 'state.json'), 'utf8')), image: { repository: 'kind-registry:5000/demo', tag: 'bbbbbbbbbbbb', sourceHash: 'b' } })
  return runScript('sync', ['--no-image'], { env: f.env, timeoutMs: 180_000 })
}

export { freePort, line }

/** The short digest the CLI prints (sha256: and 12 hex digits), spelt out here so the tests do not echo the product. */
export const short = (hex: string) => `sha256:${hex.slice(0, 12)}`

type Hooks = { before: (fn: () => Promise<void>) => void; after: (fn: () => Promise<void>) => void }

/**
 * Registers a suite's hooks: one set of services and one template (up, then a sync with a new image: dev runs a
 * digest the others do not) for the whole file, torn down after it. world() is a fresh copy for one test.
 */
export function syncedTemplate(suite: Hooks): { world: () => World; readonly services: Services } {
  let services: Services | undefined
  let template: FakeEnv | undefined
  suite.before(async () => {
    services = await startServices()
    template = await buildTemplate(services, { synced: true })
  })
  suite.after(async () => {
    template?.cleanup()
    await services?.stop()
  })
  return {
    world: () => world(template!, services!),
    get services() { return services! },
  }
}
