// A whole `up` from nothing against the stateful fake CLIs: every phase, in a valid order, timed in the run report;
// then a second `up` on the converged system, which must not make a single mutating call.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fakeEnv } from '../helpers/fakes.mts'
import { listenerPort } from '../fakes/tools/listener-port.mjs'
import { runScript } from '../helpers/proc.mts'
import { runGraph } from '../../scripts/lib/up/graph.mts'
import { PHASES } from '../../scripts/lib/up/phases.mts'
import type { UpContext } from '../../scripts/lib/up/types.mts'
import { createUi } from '../../scripts/lib/shell/ui.mts'
import { indexOf, isMutating, line } from './world.mts'

// The live checks need real pods behind the gateway; they have their own tests (smoke, netpol).
const LIVE = ['smoke', 'netpol'].filter((id) => PHASES.some((p) => p.id === id))
const SKIP = LIVE.length ? ['--skip', LIVE.join(',')] : []

test('up from nothing: calls in a valid order, every phase timed in the report; a second up changes nothing', async () => {
  // ports of this test's own (free now, spread apart): the defaults may be held on a shared machine, and up would
  // then rightly move to the next free one
  const ports: number[] = []
  while (ports.length < 3) {
    const p = await listenerPort()
    if (ports.every((q) => Math.abs(q - p) > 20)) ports.push(p)
  }
  const [reg, http, https] = ports as [number, number, number]
  const f = fakeEnv({}, { CI: '1', REGISTRY_PORT: String(reg), INGRESS_HTTP_PORT: String(http), INGRESS_HTTPS_PORT: String(https) })
  try {
    const r = await runScript('up', [...SKIP, '--json'], { env: f.env, timeoutMs: 120_000 })
    assert.is(r.code, 0, r.stderr)
    const calls = f.calls()
    const at = (re: RegExp) => {
      const i = indexOf(calls, (l) => re.test(l))
      assert.ok(i >= 0, `expected a call matching ${re}`)
      return i
    }
    const registry = at(/^docker run .*--name kind-registry/)
    const cluster = at(/^kind create cluster --name platform/)
    const hostsToml = at(/^docker exec -i \S+ sh -c .*hosts\.toml/)
    const build = at(new RegExp(`^docker build --force-rm -f apps/demo/Dockerfile -t localhost:${reg}/demo:[0-9a-f]{12} `))
    const push = at(new RegExp(`^docker push localhost:${reg}/demo:[0-9a-f]{12}$`))
    const helm = at(/^helm upgrade --install metrics-server /)
    const caSecret = calls.findIndex((c, i) => i > at(/^kubectl --context kind-platform -n cert-manager get secret platform-local-ca /) && /apply --server-side/.test(line(c)))
    const fluxInstall = at(/^flux install --export --version=v2\.7\.2 --components=source-controller,kustomize-controller,helm-controller$/)
    const artifact = at(new RegExp(`^flux push artifact oci://localhost:${reg}/platform:local `))
    const bootBuild = at(/kubectl kustomize .*\/bootstrap$/)
    const bootApply = calls.findIndex((c, i) => i > bootBuild && line(c).includes('apply --server-side'))
    const reconcile = at(/^flux reconcile source oci platform /)
    const lastWait = calls.map(line).findLastIndex((l) => l.includes('get kustomizations.kustomize.toolkit.fluxcd.io,helmreleases'))
    assert.ok(registry < hostsToml, 'registry before hosts.toml')
    assert.ok(cluster < hostsToml, 'cluster before hosts.toml')
    assert.ok(registry < build && build < push, 'registry, build, push')
    assert.ok(cluster < helm, 'cluster before helm')
    assert.ok(helm < fluxInstall, 'metrics-server before Flux')
    assert.ok(caSecret < artifact && caSecret < bootApply, 'the CA Secret is in place before Flux gets the ClusterIssuer')
    assert.ok(fluxInstall < artifact && artifact < bootApply && bootApply < reconcile && reconcile < lastWait, 'Flux install before the bootstrap apply, waits last')
    assert.ok(push < bootApply, 'the image exists before the apps point at it')
    const image = /demo:([0-9a-f]{12})/.exec(line(calls[push]!))![1]
    const dep = f.state().kube.objects['kind-platform'].find((o: any) => o.kind === 'Deployment' && o.metadata.namespace === 'demo-dev')
    assert.is(dep.spec.template.spec.containers[0].image, `kind-registry:5000/demo:${image}`, 'the app runs the image just built')

    const report = JSON.parse(r.stdout)
    assert.is(report.ok, true)
    assert.equal(report.phases.map((p: any) => p.id), PHASES.map((p) => p.id))
    for (const p of report.phases) {
      assert.type(p.ms, 'number')
      assert.ok(LIVE.includes(p.id) ? p.status === 'skipped' : p.status === 'ok', `${p.id}: ${p.status} ${p.error ?? ''}`)
    }
    assert.type(report.totalMs, 'number')
    assert.is(report.endpoints.apps.dev, `http://dev.demo.localhost:${http}`)
    assert.is(report.endpoints.https.apps.dev, `https://dev.demo.localhost:${https}`)
    assert.match(report.endpoints.ca.certFile, /tls\/ca\.crt$/)
    assert.match(report.endpoints.credentials.passwordFile, /grafana-admin-password$/)
    assert.match(r.stderr, new RegExp(`https://grafana\\.localhost:${https} +\\(user admin, password in \\S+grafana-admin-password\\)`))
    assert.match(r.stderr, new RegExp(`app dev +https://dev\\.demo\\.localhost:${https}  \\(also http://dev\\.demo\\.localhost:${http}\\)`))
    // how to trust the CA, once, on each platform; the scripts never touch a trust store themselves
    assert.match(r.stderr, /local CA +\S*tls\/ca\.crt: trust it once/)
    for (const how of ['sudo security add-trusted-cert', 'sudo update-ca-certificates', 'NODE_EXTRA_CA_CERTS=', 'curl --cacert']) assert.match(r.stderr, how)

    f.clearCalls()
    const r2 = await runScript('up', SKIP, { env: f.env, timeoutMs: 120_000 })
    assert.is(r2.code, 0, r2.stderr)
    assert.equal(f.calls().filter(isMutating).map(line), [], 'converged: no mutating call')
    assert.match(r2.stderr, 'nothing changed')
    // reads are not repeated where nothing changed in between: addons takes helm's version from preflight, the
    // mirrors phase counts what its caches hold from the one inspect it made (mirror-wiring, after the cluster
    // phase, looks again)
    const seen = f.calls().map(line)
    assert.is(seen.filter((l) => l === 'helm version --short').length, 1, 'helm version asked once')
    assert.is(seen.filter((l) => /^docker inspect --type container \S+-mirror-docker-io /.test(l)).length, 2, seen.join('\n'))
  } finally {
    f.cleanup()
  }
})

test('the declared graph runs smoke and netpol only after the wait, image alongside the cluster', async () => {
  const timeline: string[] = []
  const phases = PHASES.map((p) => ({ ...p, skipWhen: undefined, run: async () => { timeline.push(`start:${p.id}`); await new Promise((r) => setTimeout(r, p.id === 'cluster' ? 30 : 1)); timeline.push(`end:${p.id}`) } }))
  const ctx = { ui: createUi({ quiet: true, stream: { write: () => true, isTTY: false } as never, env: { CI: '1' } }), facts: { changed: [], summary: [] } } as unknown as UpContext
  const { error } = await runGraph(phases, ctx, new Set(phases.map((p) => p.id)))
  assert.is(error, undefined)
  // events in one timeline: "start:<id>" / "end:<id>"
  for (const id of LIVE) assert.ok(timeline.indexOf(`end:reconcile`) < timeline.indexOf(`start:${id}`), `${id} starts after the wait finished`)
  assert.ok(timeline.indexOf('start:image') < timeline.indexOf('end:cluster'), 'the image builds while the cluster is being created')
  assert.ok(timeline.indexOf('end:addons') < timeline.indexOf('start:flux') && timeline.indexOf('end:wiring') < timeline.indexOf('start:flux'))
})

test.run()
