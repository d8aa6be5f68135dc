// The pull-through caches as data: REGISTRY_MIRRORS, the containers' run arguments (credentials never on the
// command line), what to do with an existing one, containerd's hosts.toml, image references, what a cache holds,
// its counters, and the image list against the pinned charts.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { loadConfig } from '../../scripts/lib/shell/config.mts'
import { checkImages, describeGaps, imagesInManifests, loadImageList, parseCacheListing, parseImageRef } from '../../scripts/lib/mirrors/images.mts'
import { decideMirror, isOurHostsToml, mirrorHostsToml, mirrorRunArgs, mirrorRunEnv, wantedMirrors, type MirrorObserved } from '../../scripts/lib/mirrors/plan.mts'
import { describeHits, parseCacheStats } from '../../scripts/lib/mirrors/stats.mts'
import { DEFAULT_UPSTREAMS, parseMirrors } from '../../scripts/lib/mirrors/upstreams.mts'
import { REPO } from '../helpers/fakes.mts'

const cfg = (env: Record<string, string>) => loadConfig({ env, envFile: path.join(REPO, 'tests', 'fixtures', 'no-such.env') })

test('REGISTRY_MIRRORS: on (default) = the four upstreams, off = none, a list, host=URL; nonsense is refused naming the key', () => {
  assert.equal(parseMirrors('on'), { upstreams: [...DEFAULT_UPSTREAMS] })
  assert.equal(parseMirrors('off'), { upstreams: [] })
  assert.equal(parseMirrors('quay.io, docker.io'), { upstreams: [DEFAULT_UPSTREAMS[2]!, DEFAULT_UPSTREAMS[0]!] })
  assert.equal(parseMirrors('docker.io=https://mirror.gcr.io'), { upstreams: [{ ...DEFAULT_UPSTREAMS[0]!, remote: 'https://mirror.gcr.io' }] })
  for (const [raw, why] of [['gcr.io', 'unknown upstream "gcr.io"'], ['docker.io,docker.io', 'listed twice'], ['docker.io=ftp://x', 'expected http(s)'], ['docker.io=https://u:p@x', 'without a path or credentials'], [',', 'empty']] as const) {
    const r = parseMirrors(raw)
    assert.ok('error' in r && r.error.includes(why), `${raw}: ${JSON.stringify(r)}`)
  }
  assert.equal(cfg({}).registryMirrors.map((u) => u.host), ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io'])
  assert.throws(() => cfg({ REGISTRY_MIRRORS: 'dockerhub' }), (e: Error) => e.message.includes('REGISTRY_MIRRORS="dockerhub" (from env) is invalid') && e.message.includes('unknown upstream'))
  assert.throws(() => cfg({ REGISTRY_MIRROR_DOCKERHUB_USERNAME: 'me' }), (e: Error) => e.message.includes('REGISTRY_MIRROR_DOCKERHUB_PASSWORD is empty but its pair is set'))
})

test('run arguments: proxy mode on the upstream, named volume, 127.0.0.1 with a port docker picks, our labels; credentials only as -e NAME', () => {
  const [hub, quay] = wantedMirrors('kind-registry', 'registry:3.0.0', [DEFAULT_UPSTREAMS[0]!, DEFAULT_UPSTREAMS[2]!], { dockerHub: { username: 'me', password: 's3cret-token' } })
  assert.is(hub!.name, 'kind-registry-mirror-docker-io')
  assert.is(hub!.volume, 'kind-registry-mirror-docker-io-data')
  const args = mirrorRunArgs(hub!)
  assert.equal(args, [
    '-d', '--restart=always', '--name', 'kind-registry-mirror-docker-io',
    '--label', 'dev.platform.role=mirror', '--label', 'dev.platform.mirror-of=docker.io',
    '--network', 'bridge', '-p', '127.0.0.1::5000', '-v', 'kind-registry-mirror-docker-io-data:/var/lib/registry',
    '-e', 'REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io', '-e', 'REGISTRY_HTTP_DEBUG_ADDR=127.0.0.1:5001',
    '-e', 'REGISTRY_PROXY_USERNAME', '-e', 'REGISTRY_PROXY_PASSWORD', 'registry:3.0.0',
  ])
  assert.not.ok(args.join(' ').includes('s3cret-token'), 'the password is on no command line')
  assert.equal(mirrorRunEnv(hub!), { REGISTRY_PROXY_USERNAME: 'me', REGISTRY_PROXY_PASSWORD: 's3cret-token' })
  assert.equal(mirrorRunEnv(quay!), {}, 'Docker Hub credentials go to the docker.io cache only')
  const [offline] = wantedMirrors('kind-registry', 'registry:3.0.0', [DEFAULT_UPSTREAMS[0]!], { dockerHub: { username: 'me', password: 'x' }, offline: true })
  assert.not.ok(mirrorRunArgs(offline!).some((a) => a.startsWith('REGISTRY_PROXY_')), '--offline: a plain registry over the same volume, no upstream, no credentials')
})

test('decide: create, reuse, start, re-create (image, upstream, credentials, volume, port, offline and back), clash with a stranger', () => {
  const [w] = wantedMirrors('kind-registry', 'registry:3.0.0', [DEFAULT_UPSTREAMS[0]!], { dockerHub: { username: 'me', password: 'pw' } })
  const ok: MirrorObserved = {
    image: 'registry:3.0.0', running: true, labels: { 'dev.platform.role': 'mirror' }, hostIps: ['127.0.0.1'], volume: w!.volume,
    env: ['REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io', 'REGISTRY_HTTP_DEBUG_ADDR=127.0.0.1:5001', 'REGISTRY_PROXY_USERNAME=me', 'REGISTRY_PROXY_PASSWORD=pw', 'PATH=/bin'],
  }
  assert.equal(decideMirror(undefined, w!), { action: 'create' })
  assert.equal(decideMirror(ok, w!), { action: 'reuse' })
  assert.equal(decideMirror({ ...ok, running: false }, w!), { action: 'start' })
  assert.equal(decideMirror({ ...ok, labels: {} }, w!).action, 'clash')
  const reasons = (o: MirrorObserved, want = w!) => { const d = decideMirror(o, want); return d.action === 'recreate' ? d.reasons : [] }
  assert.equal(reasons({ ...ok, image: 'registry:2.8.3' }), ['image registry:2.8.3 -> registry:3.0.0'])
  assert.equal(reasons({ ...ok, env: ok.env.map((e) => e.replace('registry-1.docker.io', 'mirror.gcr.io')) }), ['upstream https://mirror.gcr.io -> https://registry-1.docker.io'])
  const changed = reasons({ ...ok, env: ok.env.map((e) => e.replace('PASSWORD=pw', 'PASSWORD=old')) })
  assert.equal(changed, ['upstream password changed'])
  assert.not.ok(changed.join().includes('old') || changed.join().includes('pw'), 'passwords are compared, never shown')
  assert.equal(reasons({ ...ok, volume: 'f00d' }), [`data not on volume ${w!.volume}`])
  assert.equal(reasons({ ...ok, hostIps: ['0.0.0.0'] }), ['port not bound to 127.0.0.1 only'])
  const [off] = wantedMirrors('kind-registry', 'registry:3.0.0', [DEFAULT_UPSTREAMS[0]!], { offline: true })
  assert.equal(reasons(ok, off!), ['--offline: serve what it holds without its upstream', 'upstream credentials removed'])
  const served = { ...ok, env: ['REGISTRY_HTTP_DEBUG_ADDR=127.0.0.1:5001'] }
  assert.equal(decideMirror(served, off!), { action: 'reuse' })
  assert.equal(reasons(served), ['back online: pull through from https://registry-1.docker.io again', 'upstream credentials added'])
})

test("hosts.toml: the cache first, then the upstream as containerd's server (docker.io's is registry-1.docker.io)", () => {
  const [hub, k8s] = wantedMirrors('kind-registry', 'registry:3.0.0', [DEFAULT_UPSTREAMS[0]!, DEFAULT_UPSTREAMS[3]!])
  const t = mirrorHostsToml(hub!)
  assert.is(t, '# written by up: pulls try the pull-through cache first, then the upstream (REGISTRY_MIRRORS)\nserver = "https://registry-1.docker.io"\n\n[host."http://kind-registry-mirror-docker-io:5000"]\n  capabilities = ["pull", "resolve"]\n')
  assert.match(mirrorHostsToml(k8s!), 'server = "https://registry.k8s.io"\n\n[host."http://kind-registry-mirror-registry-k8s-io:5000"]')
  assert.ok(isOurHostsToml(t))
  assert.not.ok(isOurHostsToml('server = "https://registry-1.docker.io"\n'), 'a hosts.toml someone else wrote is not ours')
})

test('image references resolve as containerd does; a cache listing; what is cached, missing or has no cache', () => {
  assert.equal(parseImageRef('traefik:v3.6.2'), { host: 'docker.io', repo: 'library/traefik', tag: 'v3.6.2' })
  assert.equal(parseImageRef('grafana/grafana'), { host: 'docker.io', repo: 'grafana/grafana' })
  assert.equal(parseImageRef('ghcr.io/fluxcd/source-controller:v1.7.2'), { host: 'ghcr.io', repo: 'fluxcd/source-controller', tag: 'v1.7.2' })
  assert.equal(parseImageRef('localhost:5001/demo@sha256:ab'), { host: 'localhost:5001', repo: 'demo', digest: 'sha256:ab' })
  const listing = [
    '/var/lib/registry/docker/registry/v2/repositories/library/traefik/_manifests/tags/v3.6.2/current/link',
    '/var/lib/registry/docker/registry/v2/repositories/library/traefik/_manifests/tags/v3.6.2/index/sha256/aa/link',
    '/var/lib/registry/docker/registry/v2/repositories/library/traefik/_manifests/revisions/sha256/aa/link',
    '/var/lib/registry/docker/registry/v2/repositories/grafana/grafana/_manifests/revisions/sha256/bb/link',
  ].join('\n')
  const hub = parseCacheListing(listing)
  assert.equal([...hub.repos.keys()], ['library/traefik', 'grafana/grafana'])
  const checks = checkImages([
    { ref: 'traefik:v3.6.2', from: 'chart traefik' },
    { ref: 'docker.io/library/traefik', from: 'any tag' },
    { ref: 'docker.io/grafana/grafana', from: 'only a digest, no tag' },
    { ref: 'docker.io/grafana/grafana@sha256:bb', from: 'by digest' },
    { ref: 'quay.io/prometheus/prometheus:v3', from: 'chart kps' },
  ], new Map([['docker.io', hub]]))
  assert.equal(checks.map((c) => c.status), ['cached', 'cached', 'missing', 'cached', 'not-mirrored'])
  assert.equal(describeGaps(checks), ['docker.io/grafana/grafana (only a digest, no tag): not in the docker.io cache', 'quay.io/prometheus/prometheus:v3 (chart kps): quay.io has no cache (REGISTRY_MIRRORS)'])
  assert.equal(imagesInManifests('---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: i\n        image: busybox:1\n      containers:\n      - name: manager\n        image: ghcr.io/fluxcd/helm-controller:v1.4.2\n---\n{"kind":"Deployment","spec":{"template":{"spec":{"containers":[{"image":"ghcr.io/fluxcd/source-controller:v1.7.2"}]}}}}\n'), ['busybox:1', 'ghcr.io/fluxcd/helm-controller:v1.4.2', 'ghcr.io/fluxcd/source-controller:v1.7.2'])
})

test('counters and size: distribution\'s expvar registry.proxy, du -sk; unknown when the debug server does not answer', () => {
  const vars = '{\n"cmdline": ["registry"],\n"registry": {"proxy": {"blobs": {"Requests": 7, "Hits": 4, "Misses": 3, "BytesPulled": 10, "BytesPushed": 20}, "manifests": {"Requests": 3, "Hits": 2, "Misses": 1, "BytesPulled": 1, "BytesPushed": 2}}}\n}'
  const s = parseCacheStats('2048\t/var/lib/registry\n', vars)
  assert.equal(s, { sizeBytes: 2048 * 1024, blobs: { requests: 7, hits: 4, misses: 3 }, manifests: { requests: 3, hits: 2, misses: 1 } })
  assert.is(describeHits(s), '6 hits / 4 misses since start (blobs 4/3, manifests 2/1)')
  assert.equal(parseCacheStats('', "wget: can't connect"), {})
  assert.is(describeHits({}), 'hits unknown (debug server not answering)')
})

test('cluster/images.yaml is written for the chart versions infrastructure/ pins (bump both together)', () => {
  const list = loadImageList(REPO)
  const pins: Record<string, string> = {}
  for (const dir of fs.readdirSync(path.join(REPO, 'infrastructure', 'controllers'))) {
    const d = path.join(REPO, 'infrastructure', 'controllers', dir)
    if (!fs.statSync(d).isDirectory()) continue
    for (const f of ['release.yaml', 'repository.yaml']) {
      for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(d, f), 'utf8')).map((x) => x.toJS() as any)) {
        const v = doc?.spec?.chart?.spec?.version ?? doc?.spec?.ref?.tag
        if (v) pins[dir] = String(v)
      }
    }
  }
  assert.equal(Object.keys(list.charts).sort(), Object.keys(pins).sort())
  for (const [chart, c] of Object.entries(list.charts)) assert.is(c.version, pins[chart], `${chart}: cluster/images.yaml says ${c.version}, infrastructure pins ${pins[chart]}`)
})

test.run()
