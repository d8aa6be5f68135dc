// scripts/smoke.mts against the "cluster" (fake kubectl) as a real process: the fake port-forward proxies TCP to
// the real demo app on 127.0.0.1, monitoring answers from a small stand-in server, and the gateway is a stand-in
// that routes by Host like the HTTPRoutes, over HTTP and over real TLS (a certificate per <env>.demo.localhost
// from a CA kept where up keeps the platform's, chosen by SNI like Traefik's HTTPS listeners). Every kubectl
// port-forward the run started must be gone when it ends: after success, after failure and after Ctrl-C.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import path from 'node:path'
import tls from 'node:tls'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fakeEnv, REPO, type FakeEnv } from '../helpers/fakes.mts'
import { runScript, type ProcResult } from '../helpers/proc.mts'
import { loadConfig } from '../../scripts/lib/shell/config.mts'
import { createRunner } from '../../scripts/lib/shell/run.mts'
import { runSmoke } from '../../scripts/lib/smoke/run.mts'
import { createUi } from '../../scripts/lib/shell/ui.mts'
import { forwardRecords, freePort, isAlive, killAll, poll, startApp, type RunningApp } from './support.mts'
import { issueLeaf, testCa } from '../helpers/tls.mts'

const CTX = 'kind-platform'
type Env = 'dev' | 'staging'

interface AppSpec { appEnv?: Record<string, string>; configFailRate: string; greeting?: string; hpaMetrics?: boolean; forward?: boolean; target?: 'up' | 'down' | 'none' }
interface WorldSpec {
  apps: Partial<Record<Env, AppSpec>>
  fluxReady?: boolean
  ingress?: boolean
  /** the HTTPS listener's certificates: from the platform's CA (default), another CA, or for the wrong names */
  certs?: 'platform' | 'other-ca' | 'wrong-name'
}

interface World { f: FakeEnv; apps: Record<string, RunningApp>; stop(): Promise<void> }

const b64 = (s: string) => Buffer.from(s).toString('base64')

// one platform CA for every world of this file (as up keeps it: <STATE_DIR>/tls/ca.crt), and a stranger
const platformCa = await testCa()
const otherCa = await testCa('someone', 'elsewhere')

async function listen(handler: http.RequestListener, tlsOptions?: https.ServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const srv = tlsOptions ? https.createServer(tlsOptions, handler) : http.createServer(handler)
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as { port: number }).port
  return { port, close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()) }) }
}

async function world(spec: WorldSpec): Promise<World> {
  const apps: Record<string, RunningApp> = {}
  const closers: (() => Promise<unknown>)[] = []
  const objects: unknown[] = []
  const forwards: Record<string, string | { address: string; targetPort: number }> = {}
  const targets: unknown[] = []
  for (const [env, a] of Object.entries(spec.apps) as [Env, AppSpec][]) {
    const ns = `demo-${env}`
    const greeting = a.greeting ?? `Hello from ${env}`
    const app = await startApp({ GREETING: greeting, APP_ENV: env, ...a.appEnv })
    apps[env] = app
    closers.push(() => app.stop())
    objects.push(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { environment: env } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'demo', namespace: ns }, spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'demo-config', namespace: ns }, data: { FAIL_RATE: a.configFailRate, READINESS_DELAY_SEC: '0' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'demo-secret', namespace: ns }, type: 'Opaque', data: { GREETING: b64(greeting) } },
      { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'demo', namespace: ns }, spec: { minReplicas: 1, maxReplicas: 2 },
        status: a.hpaMetrics === false ? { currentReplicas: 1 } : { currentReplicas: 1, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 4, averageValue: '1m' } } }] } },
    )
    if (a.forward !== false) forwards[`${ns}/svc/demo`] = { address: new URL(app.base).host, targetPort: 8000 }
    if (a.target !== 'none') targets.push({ labels: { namespace: ns, service: 'demo', job: 'demo' }, scrapeUrl: `http://10.244.1.5:8000/metrics`, health: a.target ?? 'up', lastError: a.target === 'down' ? 'connection refused' : '' })
  }
  const ready = { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: 'Applied revision: local@sha256:0000' }
  const notReady = { type: 'Ready', status: 'False', reason: 'InstallFailed', message: 'Helm install failed: timed out waiting for the condition' }
  objects.push(
    { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'flux-system' }, status: { conditions: [ready] } },
    { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'kube-prometheus-stack', namespace: 'monitoring' }, status: { conditions: [spec.fluxReady === false ? notReady : ready] } },
  )
  const monitoring = await listen((req, res) => {
    const url = req.url ?? '/'
    if (url === '/api/health') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ database: 'ok', version: '12.0.0' })); return }
    if (url === '/-/ready') { res.writeHead(200); res.end('Prometheus Server is Ready.\n'); return }
    if (url.startsWith('/api/v1/targets')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ status: 'success', data: { activeTargets: targets, droppedTargets: [] } })); return }
    res.writeHead(404); res.end()
  })
  closers.push(() => monitoring.close())
  forwards['monitoring/svc/kube-prometheus-stack-grafana'] = `127.0.0.1:${monitoring.port}`
  forwards['monitoring/svc/kube-prometheus-stack-prometheus'] = `127.0.0.1:${monitoring.port}`

  // The gateway host ports: route by Host header like the HTTPRoutes do (<env>.demo.localhost -> that app).
  const route: http.RequestListener = (req, res) => {
    const env = /^(\w+)\.demo\.localhost(:\d+)?$/.exec(req.headers.host ?? '')?.[1]
    const app = env ? apps[env] : undefined
    if (!app) { res.writeHead(404); res.end('no route\n'); return }
    const up = http.request(`${app.base}${req.url}`, { method: req.method, agent: false }, (r) => { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res) })
    up.on('error', () => { res.writeHead(502); res.end() })
    up.end()
  }
  let ingressPort = await freePort()
  let ingressHttpsPort = await freePort()
  if (spec.ingress) {
    const gw = await listen(route)
    ingressPort = gw.port
    closers.push(() => gw.close())
    const issuer = spec.certs === 'other-ca' ? otherCa : platformCa
    const certs = new Map<string, tls.SecureContext>()
    for (const env of Object.keys(spec.apps)) {
      const leaf = await issueLeaf(issuer, { dnsNames: [spec.certs === 'wrong-name' ? `${env}.other.localhost` : `${env}.demo.localhost`] })
      certs.set(`${env}.demo.localhost`, tls.createSecureContext({ cert: leaf.certPem, key: leaf.keyPem }))
    }
    const fallback = await issueLeaf(otherCa, { dnsNames: ['traefik.default'] })
    const gws = await listen(route, { cert: fallback.certPem, key: fallback.keyPem, SNICallback: (name, cb) => cb(null, certs.get(name)) })
    ingressHttpsPort = gws.port
    closers.push(() => gws.close())
  }
  const f = fakeEnv({ kube: { currentContext: CTX, contexts: { [CTX]: { server: '127.0.0.1:6443' } }, objects: { [CTX]: objects }, forwards } },
    { ENVIRONMENTS: Object.keys(spec.apps).join(','), INGRESS_HTTP_PORT: String(ingressPort), INGRESS_HTTPS_PORT: String(ingressHttpsPort), CI: '1' })
  fs.mkdirSync(path.join(f.env.STATE_DIR!, 'tls'), { recursive: true })
  fs.writeFileSync(path.join(f.env.STATE_DIR!, 'tls', 'ca.crt'), platformCa.certPem)
  return {
    f,
    apps,
    async stop() {
      killAll(forwardRecords(f.dir))
      await Promise.all(closers.map((c) => c()))
      f.cleanup()
    },
  }
}

interface JsonReport { ok: boolean; cases: { name: string; classname: string; status: string; message?: string; data?: Record<string, any> }[] }
const parse = (r: ProcResult): JsonReport => {
  try { return JSON.parse(r.stdout) as JsonReport } catch { throw new Error(`stdout is not the JSON report:\n${r.stdout}\n--- stderr ---\n${r.stderr}`) }
}
const byId = (rep: JsonReport) => Object.fromEntries(rep.cases.map((c) => [`${c.classname}/${c.name}`, c]))
const failed = (rep: JsonReport) => rep.cases.filter((c) => c.status === 'failed').map((c) => `${c.classname}/${c.name}`).sort()

function assertForwardsGone(w: World, atLeast: number): void {
  const recs = forwardRecords(w.f.dir)
  assert.ok(recs.length >= atLeast, `expected at least ${atLeast} port-forwards, saw ${recs.length}`)
  const alive = recs.filter((r) => isAlive(r.pid))
  assert.equal(alive, [], `port-forwards outlived the command: ${JSON.stringify(alive)}`)
}

const smoke = (w: World, args: string[]) => runScript('smoke', ['--reporter', 'json', ...args], { env: w.f.env, timeoutMs: 120_000 })

test('healthy platform: every check passes through port-forwards and the gateway; no port-forward outlives the run', async () => {
  const w = await world({ apps: { dev: { configFailRate: '0' }, staging: { configFailRate: '1', appEnv: { FAIL_RATE: '1' } } }, ingress: true })
  try {
    const r = await smoke(w, ['--requests', '6', '--ready-timeout', '10'])
    assert.is(r.code, 0, `${r.stderr}\n${r.stdout}`)
    const rep = parse(r)
    const ids = byId(rep)
    for (const env of ['dev', 'staging']) {
      for (const check of ['discover', 'port-forward', 'healthz', 'readyz', 'work', 'metrics', 'ingress/healthz', 'ingress/readyz', 'ingress/work', 'ingress-http', 'hpa-metrics', 'prometheus-target']) {
        assert.is(ids[`${env}/${check}`]?.status, 'passed', `${env}/${check}: ${ids[`${env}/${check}`]?.message}`)
      }
    }
    for (const check of ['flux', 'grafana', 'prometheus']) assert.is(ids[`cluster/${check}`]?.status, 'passed', check)
    // FAIL_RATE from the ConfigMap sets the accepted band: staging (FAIL_RATE 1) must fail every call
    assert.is(ids['staging/work']!.data!.minFailures, 6)
    assert.is(ids['dev/work']!.data!.maxFailures, 0)
    assert.match(ids['dev/work']!.message!, 'greeting as expected')
    // the port-forward pinned one instance: all /work answers came from it
    assert.is(ids['dev/work']!.data!.hostnames.length, 1)
    const pf = w.f.calls('kubectl').filter((c) => c.argv.includes('port-forward')).map((c) => c.argv.join(' '))
    assert.ok(pf.some((c) => /^--context kind-platform -n demo-dev port-forward --address 127\.0\.0\.1 svc\/demo \d+:80$/.test(c)), pf.join('\n'))
    assert.is(pf.filter((c) => c.includes('kube-prometheus-stack-prometheus')).length, 1, 'one Prometheus forward serves every environment')
    assert.match(String((rep as any).properties.trust), `the platform's local CA (${path.join(w.f.env.STATE_DIR!, 'tls', 'ca.crt')})`)
    assertForwardsGone(w, 4)
  } finally {
    await w.stop()
  }
})

test('the gateway over HTTPS: a certificate from another CA or for other names fails ingress/healthz naming the problem; HTTP still answers', async () => {
  for (const [certs, problem] of [['other-ca', 'certificate problem: unknown issuer'], ['wrong-name', 'certificate problem: host name mismatch']] as const) {
    const w = await world({ apps: { dev: { configFailRate: '0' } }, ingress: true, certs })
    try {
      const r = await smoke(w, ['--requests', '3', '--ready-timeout', '10'])
      assert.is(r.code, 1, r.stderr)
      const rep = parse(r)
      assert.equal(failed(rep), ['dev/ingress/healthz'], certs)
      const ids = byId(rep)
      assert.match(ids['dev/ingress/healthz']!.message!, problem)
      assert.is(ids['dev/ingress/readyz']!.status, 'skipped')
      assert.is(ids['dev/ingress-http']!.status, 'passed', 'HTTP stays served')
      assert.is(ids['dev/healthz']!.status, 'passed', 'the port-forward checks are not affected')
      assertForwardsGone(w, 2)
    } finally {
      await w.stop()
    }
  }
})

test('failures are named per environment; the port-forwards are gone afterwards too', async () => {
  const w = await world({
    apps: {
      // the app fails every call although its ConfigMap says FAIL_RATE 0
      dev: { configFailRate: '0', appEnv: { FAIL_RATE: '1' }, target: 'down' },
      // the ConfigMap says FAIL_RATE 1 but the app never fails (config not applied); no HPA metrics
      staging: { configFailRate: '1', hpaMetrics: false, target: 'none' },
    },
    fluxReady: false,
  })
  try {
    const r = await smoke(w, ['--requests', '5', '--ready-timeout', '2'])
    assert.is(r.code, 1, r.stderr)
    const rep = parse(r)
    assert.equal(failed(rep), ['cluster/flux', 'dev/prometheus-target', 'dev/work', 'staging/hpa-metrics', 'staging/prometheus-target', 'staging/work'])
    const ids = byId(rep)
    assert.match(ids['dev/work']!.message!, '5 of 5 calls answered 5xx, more than the 0 allowed (FAIL_RATE 0 from demo-config')
    assert.match(ids['staging/work']!.message!, 'only 0 of 5 calls answered 5xx, fewer than the 5 expected (FAIL_RATE 1 from demo-config')
    assert.match(ids['cluster/flux']!.message!, 'HelmRelease/monitoring/kube-prometheus-stack')
    assert.match(ids['staging/hpa-metrics']!.message!, 'has no current metrics')
    assert.is(ids['dev/metrics']!.status, 'passed')
    assert.is(ids['dev/ingress']!.status, 'skipped', 'nothing listens on the gateway port')
    assert.is(ids['dev/ingress-http']!.status, 'skipped', 'nothing listens on the gateway port')
    assert.match(r.stderr, /✖ smoke: 6 checks failed: cluster\/flux, dev\/work, dev\/prometheus-target, staging\/work, staging\/hpa-metrics, staging\/prometheus-target/)
    assertForwardsGone(w, 4)
  } finally {
    await w.stop()
  }
})

test('a missing Service fails port-forward like kubectl (NotFound) and skips the endpoint checks', async () => {
  const w = await world({ apps: { dev: { configFailRate: '0', forward: false } } })
  try {
    const r = await smoke(w, ['--requests', '3', '--ready-timeout', '5'])
    assert.is(r.code, 1)
    const ids = byId(parse(r))
    assert.is(ids['dev/port-forward']!.status, 'failed')
    assert.match(ids['dev/port-forward']!.message!, 'Error from server (NotFound): services "demo" not found')
    for (const c of ['healthz', 'readyz', 'work', 'metrics']) assert.is(ids[`dev/${c}`]!.status, 'skipped')
    // NotFound is not retried
    assert.is(w.f.calls('kubectl').filter((c) => c.argv.includes('port-forward') && c.argv.includes('demo-dev')).length, 1)
  } finally {
    await w.stop()
  }
})

test('an unreachable cluster fails once, up front, as a precondition (exit 4) with what to do', async () => {
  const f = fakeEnv({ kube: { currentContext: CTX, contexts: { [CTX]: { reachable: false, server: '127.0.0.1:6443' } }, objects: {} } }, { CI: '1' })
  try {
    const r = await runScript('smoke', ['--reporter', 'json'], { env: f.env, timeoutMs: 60_000 })
    assert.is(r.code, 4, r.stderr)
    assert.is(r.stdout, '')
    assert.match(r.stderr, '✖ smoke: cannot reach the cluster of context kind-platform: The connection to the server 127.0.0.1:6443 was refused')
    assert.match(r.stderr, 'npx zx scripts/up.mts')
    assert.is(f.calls('kubectl').length, 1)
  } finally {
    f.cleanup()
  }
})

test('Ctrl-C while waiting for readiness: exit 130 and every port-forward is stopped', async () => {
  const w = await world({ apps: { dev: { configFailRate: '0', appEnv: { READINESS_DELAY_SEC: '3600' } } } })
  try {
    const child = spawn(process.execPath, [path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), path.join(REPO, 'scripts', 'smoke.mts'), '--ready-timeout', '300', '--reporter', 'json'],
      { cwd: REPO, env: w.f.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => { stderr += d })
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    // wait until the app's forward is up and readyz is being polled
    await poll(async () => (forwardRecords(w.f.dir).some((x) => x.key === 'demo-dev/svc/demo') && /readyz: HTTP 503, waiting/.test(stderr) ? true : undefined), 'readyz polling', 600, 50)
    assert.ok(forwardRecords(w.f.dir).some((x) => isAlive(x.pid)), 'forwards are running before Ctrl-C')
    child.kill('SIGINT')
    const code = await exited
    assert.is(code, 130, stderr)
    assert.match(stderr, 'interrupted by Ctrl-C')
    assertForwardsGone(w, 2)
  } finally {
    await w.stop()
  }
})

test('up on kind requires the gateway host port: a silent gateway fails the ingress check instead of skipping it', async () => {
  const w = await world({ apps: { dev: { configFailRate: '0' } } })
  try {
    const env = w.f.env
    const config = loadConfig({ env, envFile: '/nonexistent' })
    const ui = createUi({ env, stream: { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream })
    const report = await runSmoke({ runner: createRunner({ env, log: () => {} }), config, ui, stateDir: env.STATE_DIR! }, { requests: 3, readyTimeoutMs: 5000, requireIngress: true })
    for (const name of ['ingress', 'ingress-http']) {
      const ingress = report.cases.find((c) => c.classname === 'dev' && c.name === name)!
      assert.is(ingress.ok, false, name)
      assert.not.ok(ingress.skipped)
      assert.match(ingress.message ?? '', 'nothing listens on 127.0.0.1:')
    }
    assert.ok(report.cases.some((c) => c.classname === 'dev' && c.name === 'healthz' && c.ok), 'the port-forward checks still ran')
  } finally {
    await w.stop()
  }
})

test.run()
