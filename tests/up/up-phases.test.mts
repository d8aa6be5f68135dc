// up's add-on, Flux and wait phases against stateful fake CLIs (the cluster layer seeded as converged):
// order of calls, a converged re-run that changes nothing, the image override, dry-run, the run report.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript } from '../helpers/proc.mts'
import { PHASES } from '../../scripts/lib/up/phases.mts'
import { clusterWorld, indexOf, isMutating, line, seedPlatformState } from './world.mts'

const ONLY = ['--only', 'addons,flux,reconcile']

test('first run installs, pushes and applies in a valid order; a second run makes no mutating call', async () => {
  const f = clusterWorld()
  try {
    const r1 = await runScript('up', [...ONLY, '--json'], { env: f.env })
    assert.is(r1.code, 0, r1.stderr)
    const calls = f.calls()
    const nsApply = indexOf(calls, (l) => l.includes('apply --server-side') && calls.length > 0)
    const secret = indexOf(calls, (l) => l.includes('get secret grafana-admin'))
    const helm = indexOf(calls, (l) => l.startsWith('helm upgrade --install metrics-server'))
    const fluxApply = indexOf(calls, (l) => l.startsWith('flux install --export'))
    const push = indexOf(calls, (l) => l.startsWith('flux push artifact oci://localhost:5001/platform:local'))
    const boot = indexOf(calls, (l) => l.includes('kustomize') && l.endsWith('/bootstrap'))
    const reconcile = indexOf(calls, (l) => l.startsWith('flux reconcile source oci platform'))
    const wait = calls.map(line).lastIndexOf(calls.map(line).filter((l) => l.includes('helmreleases.helm.toolkit.fluxcd.io')).at(-1) ?? '')
    for (const [name, i] of Object.entries({ nsApply, secret, helm, fluxApply, push, boot, reconcile, wait })) assert.ok(i >= 0, `${name} was called`)
    assert.ok(nsApply < secret && secret < helm, 'namespaces, then the grafana secret, then helm')
    assert.ok(helm < fluxApply, 'metrics-server before Flux')
    assert.ok(fluxApply < push && push < boot && boot < reconcile && reconcile < wait, 'install -> push -> bootstrap -> reconcile -> wait')
    // the helm call is the real CLI's: pinned chart, values file from the repo, --wait --timeout HELM_TIMEOUT (10m), rollback flag
    assert.match(line(calls[helm]!), /--version 3\.13\.0 .*--values \S+infrastructure\/controllers\/metrics-server\/values\.yaml --wait --timeout 600s --atomic/)
    const report = JSON.parse(r1.stdout)
    assert.equal(report.phases.map((p: any) => p.id), PHASES.map((p) => p.id), 'every phase is in the report')
    for (const p of report.phases) assert.type(p.ms, 'number')
    assert.ok(report.phases.filter((p: any) => p.status === 'ok').length >= 3)
    // the cluster now runs what the repo declares
    const objs = f.state().kube.objects['kind-platform']
    assert.ok(objs.some((o: any) => o.kind === 'HelmRelease' && o.metadata.name === 'kube-prometheus-stack'))
    assert.ok(objs.some((o: any) => o.kind === 'Deployment' && o.metadata.namespace === 'demo-production'))
    assert.is(f.state().helm.releases['kind-platform']['kube-system/metrics-server'].chart, 'metrics-server-3.13.0')

    f.clearCalls()
    const r2 = await runScript('up', ONLY, { env: f.env })
    assert.is(r2.code, 0, r2.stderr)
    const mutating = f.calls().filter(isMutating).map(line)
    assert.equal(mutating, [], 'a converged re-run changes nothing')
    assert.match(r2.stderr, 'nothing changed')
  } finally {
    f.cleanup()
  }
})

test('the image travels pinned inside the apps artifact: a first up starts every environment at one digest, a new image moves only dev', async () => {
  const f = clusterWorld()
  try {
    seedPlatformState(f, { image: { repository: 'kind-registry:5000/demo', tag: 'aaaaaaaaaaaa', sourceHash: 'a' } })
    assert.is((await runScript('up', ONLY, { env: f.env })).code, 0)
    const objs = () => f.state().kube.objects['kind-platform']
    const image = (env: string) => objs().find((o: any) => o.kind === 'Deployment' && o.metadata.namespace === `demo-${env}`).spec.template.spec.containers[0].image
    const tags = () => Object.fromEntries(Object.entries(f.state().flux.artifacts).filter(([k]) => k.startsWith('apps:')).map(([k, a]: [string, any]) => [k.slice(5), a.digest]))
    for (const env of ['dev', 'staging', 'production']) assert.is(image(env), 'kind-registry:5000/demo:aaaaaaaaaaaa', env)
    const first = tags()
    assert.equal(Object.keys(first).sort(), ['dev', 'production', 'staging'])
    assert.ok(first.dev === first.staging && first.dev === first.production, 'one digest everywhere on a fresh platform')
    const ks = objs().find((o: any) => o.kind === 'Kustomization' && o.metadata.name === 'apps-dev')
    assert.is(ks.spec.images, undefined, 'no apply-time override: the digest says what runs')
    assert.equal(ks.spec.sourceRef, { kind: 'OCIRepository', name: 'apps-dev' })

    seedPlatformState(f, { image: { repository: 'kind-registry:5000/demo', tag: 'bbbbbbbbbbbb', sourceHash: 'b' } })
    f.clearCalls()
    const r = await runScript('up', ONLY, { env: f.env })
    assert.is(r.code, 0, r.stderr)
    assert.is(image('dev'), 'kind-registry:5000/demo:bbbbbbbbbbbb')
    assert.is(image('staging'), 'kind-registry:5000/demo:aaaaaaaaaaaa', 'staging waits for promote')
    assert.is(image('production'), 'kind-registry:5000/demo:aaaaaaaaaaaa')
    const now = tags()
    assert.ok(now.dev !== first.dev)
    assert.is(now['dev-previous'], first.dev, 'the digest dev ran before is kept for --undo')
    assert.is(now.staging, first.staging)
    const lines = f.calls().filter(isMutating).map(line)
    assert.ok(lines.some((l) => l.startsWith('flux push artifact oci://localhost:5001/apps:dev ')))
    assert.not.ok(lines.some((l) => l.startsWith('flux push artifact oci://localhost:5001/platform:local')), 'the infrastructure did not change')
    assert.ok(lines.includes('flux reconcile source oci apps-dev --namespace flux-system --context kind-platform --timeout=600s'), lines.join('\n'))
    assert.not.ok(lines.some((l) => l.includes('apps-staging') || l.includes('apps-production')))
  } finally {
    f.cleanup()
  }
})

test('--dry-run prints the plan and runs no mutating command', async () => {
  const f = clusterWorld()
  try {
    const r = await runScript('up', ['--dry-run', ...ONLY, '--json'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, 'Plan:')
    assert.match(r.stderr, /addons .*\(after cluster, mirror-wiring\)/)
    assert.equal(f.calls().filter(isMutating).map(line), [])
    const report = JSON.parse(r.stdout)
    assert.ok(report.plannedCommands.some((c: string) => c.startsWith('helm upgrade --install metrics-server')))
    assert.ok(report.plannedCommands.some((c: string) => c.startsWith('flux push artifact')))
    assert.not.ok(fs.existsSync(path.join(f.env.STATE_DIR!, 'grafana-admin-password')), 'dry-run writes no password file')
    // nothing changed, and nothing claims it did
    assert.equal(report.changed, [])
    assert.ok(report.wouldChange.includes('gitops artifact'), JSON.stringify(report.wouldChange))
    assert.not.match(r.stderr, /pushed \S+@sha1|bootstrap applied|namespaces applied|Secret monitoring\/grafana-admin created|metrics-server: installing/)
    assert.match(r.stderr, /would push \S+@sha1/)
    assert.match(r.stderr, 'metrics-server: would install')
    assert.not.match(r.stderr, /^\d\d:\d\d:\d\d .*: *$/m, 'an empty progress note')
    assert.match(r.stderr.trim().split('\n').at(-1)!, 'dry run: nothing was changed')
  } finally {
    f.cleanup()
  }
})

test('FLUX_MODE=oci with PLATFORM_PROVIDER=existing fails before touching anything', async () => {
  const f = clusterWorld({ PLATFORM_PROVIDER: 'existing', KUBE_CONTEXT: 'kind-platform', FLUX_MODE: 'oci' })
  try {
    const r = await runScript('up', [], { env: f.env })
    assert.is(r.code, 2, r.stderr)
    assert.match(r.stderr, 'FLUX_MODE=oci')
    assert.match(r.stderr, 'FLUX_MODE=git')
    assert.equal(f.calls(), [])
  } finally {
    f.cleanup()
  }
  const g = clusterWorld({ FLUX_MODE: 'git', FLUX_GIT_URL: 'https://example.com/p.git', FLUX_GIT_PATH: 'bootstrap' })
  try {
    const r = await runScript('up', [], { env: g.env })
    assert.is(r.code, 2, r.stderr)
    assert.match(r.stderr, 'FLUX_GIT_PATH=bootstrap/git')
    assert.equal(g.calls(), [])
  } finally {
    g.cleanup()
  }
})

test('the grafana password is generated once (0600 file), never printed, and the Secret is not rewritten', async () => {
  const f = clusterWorld()
  try {
    const r1 = await runScript('up', ['--only', 'addons', '--verbose'], { env: f.env })
    assert.is(r1.code, 0, r1.stderr)
    const file = path.join(f.env.STATE_DIR!, 'grafana-admin-password')
    const password = fs.readFileSync(file, 'utf8').trim()
    assert.ok(password.length >= 20)
    assert.is(fs.statSync(file).mode & 0o777, 0o600)
    assert.not.ok(r1.stderr.includes(password) || r1.stdout.includes(password))
    assert.not.ok(r1.stderr.includes(Buffer.from(password).toString('base64')))
    assert.not.ok(f.calls().some((c) => c.argv.join(' ').includes(password)), 'never in argv')
    const secret = f.state().kube.objects['kind-platform'].find((o: any) => o.kind === 'Secret' && o.metadata.name === 'grafana-admin')
    assert.is(Buffer.from(secret.data['admin-password'], 'base64').toString(), password)
    assert.is(Buffer.from(secret.data['admin-user'], 'base64').toString(), 'admin')
    f.clearCalls()
    assert.is((await runScript('up', ['--only', 'addons'], { env: f.env })).code, 0)
    assert.equal(f.calls().filter(isMutating).map(line), [])
    assert.is(fs.readFileSync(file, 'utf8').trim(), password)
  } finally {
    f.cleanup()
  }
})

test('a GRAFANA_ADMIN_PASSWORD you set is never written to disk; an earlier generated one is removed once replaced', async () => {
  const mine = 'my-own-grafana-password-42'
  const f = clusterWorld({ GRAFANA_ADMIN_PASSWORD: mine })
  try {
    const file = path.join(f.env.STATE_DIR!, 'grafana-admin-password')
    fs.mkdirSync(f.env.STATE_DIR!, { recursive: true })
    fs.writeFileSync(file, 'generated-by-an-earlier-up\n', { mode: 0o600 })
    const r = await runScript('up', ['--only', 'addons', '--json'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    assert.not.ok(fs.existsSync(file), 'the stale generated password is gone')
    const onDisk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? onDisk(path.join(dir, e.name)) : [fs.readFileSync(path.join(dir, e.name), 'utf8')])
    assert.not.ok(onDisk(f.env.STATE_DIR!).some((t) => t.includes(mine) || t.includes(Buffer.from(mine).toString('base64'))), 'the password is in no file of the state dir')
    const secret = f.state().kube.objects['kind-platform'].find((o: any) => o.kind === 'Secret' && o.metadata.name === 'grafana-admin')
    assert.is(Buffer.from(secret.data['admin-password'], 'base64').toString(), mine)
    assert.equal(JSON.parse(r.stdout).endpoints.credentials, { user: 'admin', passwordFrom: 'GRAFANA_ADMIN_PASSWORD' })
  } finally {
    f.cleanup()
  }
})

test('existing cluster: up records exactly what it created there (helm releases, namespaces) for down', async () => {
  const f = clusterWorld({ PLATFORM_PROVIDER: 'existing', KUBE_CONTEXT: 'kind-platform', FLUX_MODE: 'none', ENVIRONMENTS: 'dev' })
  try {
    // someone else's namespace that up also declares: never recorded as up's
    f.setState((s) => { s.kube.objects['kind-platform'] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress' } }] })
    const r = await runScript('up', ['--only', 'addons,flux,reconcile'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    const state = JSON.parse(fs.readFileSync(path.join(f.env.STATE_DIR!, 'state.json'), 'utf8'))
    assert.equal(state.installed.namespaces.sort(), ['cert-manager', 'demo-dev', 'monitoring'])
    assert.equal(state.installed.helmReleases.map((h: any) => `${h.namespace}/${h.name}`).sort(), ['cert-manager/cert-manager', 'ingress/traefik', 'kube-system/metrics-server', 'monitoring/kube-prometheus-stack'])
    assert.is(state.installed.flux, false)
    const dep = f.state().kube.objects['kind-platform'].find((o: any) => o.kind === 'Deployment' && o.metadata.namespace === 'demo-dev')
    assert.is(dep.spec.template.spec.containers[0].image, 'kind-registry:5000/demo:0.1.0', 'no local registry: the pinned tag stays')
  } finally {
    f.cleanup()
  }
})

test.run()
