// up, down and status with the pull-through caches, on the fake CLIs: the caches and their wiring after up, a
// converged re-run, credentials that reach the container and no output, REGISTRY_MIRRORS=off, --offline's check,
// down keeping them (plain) or deleting them with their volumes (--all), status showing size and hits.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
// @ts-expect-error plain JS fake
import { cacheFiles } from '../fakes/tools/docker-mirrors.mjs'
import { isMutating, world } from '../cluster/support.mts'

const LAYER = ['--only', 'preflight,ports,registry,mirrors,cluster,wiring,mirror-wiring']
const HOSTS = ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io']
const cache = (h: string) => `kind-registry-mirror-${h.replace(/[^a-z0-9]+/g, '-')}`
const NODES = ['platform-control-plane', 'platform-worker', 'platform-worker2']
const SECRET = 'dckr_pat_n0t-4-r34l-t0k3n'

test('up: one cache per upstream (named volume, 127.0.0.1, kind network), hosts.toml on every node, Docker Hub credentials only in the container\'s environment; a second up changes nothing', async () => {
  const w = await world({ REGISTRY_MIRROR_DOCKERHUB_USERNAME: 'me', REGISTRY_MIRROR_DOCKERHUB_PASSWORD: SECRET })
  try {
    const r = await runScript('up', [...LAYER, '--verbose'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.not.ok(`${r.stdout}${r.stderr}`.includes(SECRET), 'the password is never printed, --verbose included')
    assert.not.ok(commandLines(w.calls()).some((l) => l.includes(SECRET)), 'nor on any command line')
    assert.match(r.stderr, 'created docker.io, created ghcr.io, created quay.io, created registry.k8s.io')
    const s = w.state().docker
    for (const h of HOSTS) {
      const c = s.containers[cache(h)]
      assert.ok(c, `${cache(h)} exists`)
      assert.is(c.Config.Labels['dev.platform.role'], 'mirror')
      assert.equal(c.Mounts.map((m: any) => [m.Type, m.Name, m.Destination]), [['volume', `${cache(h)}-data`, '/var/lib/registry']])
      assert.equal(c.HostConfig.PortBindings['5000/tcp'], [{ HostIp: '127.0.0.1', HostPort: '' }])
      assert.ok('kind' in c.NetworkSettings.Networks, `${h} cache joined the kind network`)
      for (const node of NODES) {
        const toml = s.containers[node].files[`/etc/containerd/certs.d/${h}/hosts.toml`]
        assert.match(toml, `[host."http://${cache(h)}:5000"]\n  capabilities = ["pull", "resolve"]`)
        assert.match(toml, `server = "${h === 'docker.io' ? 'https://registry-1.docker.io' : `https://${h}`}"`)
      }
    }
    // the value reached the container through docker's own environment (-e NAME)
    assert.ok(s.containers[cache('docker.io')].Config.Env.includes(`REGISTRY_PROXY_PASSWORD=${SECRET}`))
    assert.not.ok(s.containers[cache('quay.io')].Config.Env.some((e: string) => e.startsWith('REGISTRY_PROXY_PASSWORD')))

    w.clearCalls()
    const again = await runScript('up', LAYER, { env: w.env })
    assert.is(again.code, 0, again.stderr)
    assert.equal(commandLines(w.calls().filter(isMutating)), [], 'converged: the same credentials keep the caches as they are')
    assert.match(again.stderr, 'reused 4 cache(s)')
    assert.match(again.stderr, /0\/\d+ add-on and probe images cached/)
  } finally {
    w.cleanup()
  }
})

test('REGISTRY_MIRRORS=off: the nodes lose the hosts.toml up wrote (a foreign one stays), the caches are kept and up says so', async () => {
  const w = await world()
  try {
    assert.is((await runScript('up', LAYER, { env: w.env })).code, 0)
    w.setState((s) => { s.docker.containers['platform-worker'].files['/etc/containerd/certs.d/quay.io/hosts.toml'] = 'server = "https://quay.io"\n# mine\n' })
    const off = await runScript('up', LAYER, { env: { ...w.env, REGISTRY_MIRRORS: 'off' } })
    assert.is(off.code, 0, off.stderr)
    assert.match(off.stderr, 'REGISTRY_MIRRORS=off (caches that exist are kept: down --all deletes them)')
    assert.match(off.stderr, 'removed 11 hosts.toml of upstreams without a cache')
    const s = w.state().docker
    for (const node of NODES) for (const h of HOSTS) {
      const f = s.containers[node].files[`/etc/containerd/certs.d/${h}/hosts.toml`]
      if (node === 'platform-worker' && h === 'quay.io') assert.is(f, 'server = "https://quay.io"\n# mine\n')
      else assert.is(f, undefined, `${node} ${h}`)
    }
    for (const h of HOSTS) assert.ok(s.containers[cache(h)], `${h} cache kept`)
  } finally {
    w.cleanup()
  }
})

test('--offline: with a gap it stops before any change, naming each missing image; with everything cached the caches serve without upstreams', async () => {
  const w = await world()
  try {
    assert.is((await runScript('up', LAYER, { env: w.env })).code, 0)
    w.clearCalls()
    const gap = await runScript('up', [...LAYER, '--offline'], { env: w.env })
    assert.is(gap.code, 4, gap.stderr)
    assert.match(gap.stderr, /✖ offline: the caches do not hold everything the platform pulls \(0 of \d+ images cached\)/)
    assert.match(gap.stderr, 'quay.io/jetstack/cert-manager-webhook:v1.21.1 (chart cert-manager v1.21.1): not in the quay.io cache')
    assert.match(gap.stderr, 'nothing was created or changed')
    assert.equal(commandLines(w.calls().filter(isMutating)).filter((l) => !l.startsWith('docker run --rm ')), [], 'nothing changed')
    const refs = [...gap.stderr.matchAll(/^\s+(\S+) \([^)]*\): not in the (\S+) cache( —|$)/gm)].map((m) => ({ ref: m[1]!, host: m[2]! }))
    assert.ok(refs.length >= 15, gap.stderr)

    // the caches hold all of it (one missing first: named alone)
    const seed = (skip?: string) => w.setState((s) => {
      for (const h of HOSTS) {
        const held = refs.filter((r) => r.host === h && r.ref !== skip).map((r) => {
          const i = r.ref.indexOf('/')
          let repo = r.ref.slice(i + 1)
          let tag = 'any'
          const c = repo.lastIndexOf(':')
          if (c !== -1) { tag = repo.slice(c + 1); repo = repo.slice(0, c) }
          return `${repo}:${tag}`
        })
        s.docker.containers[cache(h)].files = cacheFiles(held)
      }
    })
    seed('registry.k8s.io/e2e-test-images/agnhost:2.53')
    const one = await runScript('up', [...LAYER, '--offline'], { env: w.env })
    assert.is(one.code, 4, one.stderr)
    assert.match(one.stderr, `(${refs.length - 1} of ${refs.length} images cached):\n  registry.k8s.io/e2e-test-images/agnhost:2.53 (netpol probes): not in the registry.k8s.io cache — run up once online`)
    seed()
    const ok = await runScript('up', [...LAYER, '--offline'], { env: w.env })
    assert.is(ok.code, 0, ok.stderr)
    assert.match(ok.stderr, `offline: all ${refs.length} images the platform pulls are in the caches`)
    assert.match(ok.stderr, `re-creating cache ${cache('docker.io')} (--offline: serve what it holds without its upstream)`)
    for (const h of HOSTS) assert.not.ok(w.state().docker.containers[cache(h)].Config.Env.some((e: string) => e.startsWith('REGISTRY_PROXY_REMOTEURL')))
  } finally {
    w.cleanup()
  }
})

test('down keeps the caches and their volumes (and says how to delete them); down --all deletes both; status shows each cache', async () => {
  const w = await world()
  try {
    assert.is((await runScript('up', LAYER, { env: w.env })).code, 0)
    w.setState((s) => {
      s.docker.containers[cache('docker.io')].files = cacheFiles(['library/traefik:v3'])
      s.docker.containers[cache('docker.io')].proxy = { blobs: { Requests: 5, Hits: 3, Misses: 2 }, manifests: { Requests: 2, Hits: 1, Misses: 1 } }
    })
    const status = await runScript('status', [], { env: w.env })
    assert.match(status.stdout, /mirror +docker\.io +kind-registry-mirror-docker-io on 127\.0\.0\.1:\d+: \d+\.\d KiB, 4 hits \/ 3 misses since start \(blobs 3\/2, manifests 1\/1\)/)
    assert.match(status.stdout, /mirror +quay\.io +kind-registry-mirror-quay-io on 127\.0\.0\.1:\d+: [\d.]+ KiB, 0 hits \/ 0 misses since start/)

    const plain = await runScript('down', ['--yes'], { env: w.env })
    assert.is(plain.code, 0, plain.stderr)
    assert.match(plain.stderr, 'pull-through caches kept with their cached images')
    const s = w.state().docker
    for (const h of HOSTS) {
      assert.ok(s.containers[cache(h)], `${h} cache kept`)
      assert.ok(s.volumes[`${cache(h)}-data`], `${h} volume kept`)
    }
    const dry = await runScript('down', ['--yes', '--all', '--dry-run'], { env: w.env })
    assert.is(dry.code, 0, dry.stderr)
    assert.match(`${dry.stdout}${dry.stderr}`, `remove pull-through cache ${cache('docker.io')} and its volume ${cache('docker.io')}-data`)
    assert.ok(w.state().docker.containers[cache('docker.io')], '--dry-run deletes nothing')

    const all = await runScript('down', ['--yes', '--all'], { env: w.env })
    assert.is(all.code, 0, all.stderr)
    const t = w.state().docker
    for (const h of HOSTS) {
      assert.is(t.containers[cache(h)], undefined, `${h} cache deleted`)
      assert.is(t.volumes[`${cache(h)}-data`], undefined, `${h} volume deleted`)
    }
    const again = await runScript('down', ['--yes', '--all'], { env: w.env })
    assert.is(again.code, 0, again.stderr)
  } finally {
    w.cleanup()
  }
})

test('refusals: a same-name container up did not create is never touched (exit 4); --offline without caches or on an existing cluster is a usage error; a bad REGISTRY_MIRRORS names the key', async () => {
  const w = await world()
  try {
    w.setState((s) => {
      s.docker ??= { daemon: true, containers: {}, networks: {} }
      s.docker.containers[cache('ghcr.io')] = { Id: 'e'.repeat(64), Name: `/${cache('ghcr.io')}`, State: { Status: 'running', Running: true }, Config: { Image: 'nginx', Labels: {}, Env: [] }, HostConfig: { PortBindings: {} }, NetworkSettings: { Networks: { bridge: {} }, Ports: {} }, Mounts: [], files: {} }
    })
    const clash = await runScript('up', ['--only', 'preflight,ports,mirrors'], { env: w.env })
    assert.is(clash.code, 4, clash.stderr)
    assert.match(clash.stderr, `a container named "${cache('ghcr.io')}" exists but was not created by up (no label dev.platform.role=mirror)`)
    assert.match(clash.stderr, 'leave ghcr.io out of REGISTRY_MIRRORS')
    assert.is(w.state().docker.containers[cache('ghcr.io')].Config.Image, 'nginx', 'untouched')

    const off = await runScript('up', ['--offline'], { env: { ...w.env, REGISTRY_MIRRORS: 'off' } })
    assert.is(off.code, 2, off.stderr)
    assert.match(off.stderr, '--offline needs the pull-through caches, but REGISTRY_MIRRORS=off')
    const existing = await runScript('up', ['--offline'], { env: { ...w.env, PLATFORM_PROVIDER: 'existing', KUBE_CONTEXT: 'prod', FLUX_MODE: 'none' } })
    assert.is(existing.code, 2, existing.stderr)
    assert.match(existing.stderr, '--offline works with the kind provider only')
    const bad = await runScript('up', ['--dry-run'], { env: { ...w.env, REGISTRY_MIRRORS: 'docker.io=registry-1.docker.io' } })
    assert.is(bad.code, 2, bad.stderr)
    assert.match(bad.stderr, 'REGISTRY_MIRRORS="docker.io=registry-1.docker.io" (from env) is invalid')
  } finally {
    w.cleanup()
  }
})

test.run()
