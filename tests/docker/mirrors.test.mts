// The pull-through caches on a real engine (issue 16). A second local registry plays docker.io's upstream and
// holds a pushed stand-in image; `up` makes the docker.io cache fetch from it (REGISTRY_MIRRORS=docker.io=<url>).
// A pull through the cache fetches the image once; with the upstream stopped the cache serves it again, byte for
// byte, its counters show the requests and no new misses, and status shows them. Then a node is wired and `down`
// keeps the cache (plain) or deletes it with its volume (--all). The offline second run: mirrors-offline.test.mts.
import * as assert from 'uvu/assert'
import { answers, counters, eventually, hostPort, inspect, mutatingDocker, pull, pushTiny, stored, untilCached, upstreamWithImage } from './mirrors-support.mts'
import { commandLines } from '../helpers/fakes.mts'
import { dockerTier } from './tier.mts'

const tier = dockerTier('mirror')

tier.test('a pull through the docker.io cache fetches the image from the upstream once, then serves it from the cache with the upstream stopped', async () => {
  const w = await tier.world()
  const up = upstreamWithImage(w)
  await pushTiny(w, up, tier.standIn('base').tag)
  const direct = await pull(up.port, 'library/tiny', '1')

  const r = await w.up(['--only', 'ports,mirrors'], up.env)
  assert.is(r.code, 0, r.stderr)
  const cache = `${w.names.registry}-mirror-docker-io`
  assert.match(r.stderr, 'created docker.io')
  const c = inspect(w, cache)!
  assert.is(c.Config.Image, w.standIns.registry.pinned, 'the registry image cluster/versions.yaml pins')
  assert.is(c.Config.Labels['dev.platform.role'], 'mirror')
  assert.is(c.Config.Labels['dev.platform.mirror-of'], 'docker.io')
  assert.is(c.HostConfig.RestartPolicy.Name, 'always')
  assert.equal(c.HostConfig.PortBindings['5000/tcp'], [{ HostIp: '127.0.0.1', HostPort: '' }], '127.0.0.1 only, on a port docker picks')
  assert.equal(c.Mounts.filter((m) => m.Type === 'volume').map((m) => [m.Name, m.Destination]), [[`${cache}-data`, '/var/lib/registry']], 'data on a named volume')
  assert.ok(c.Config.Env.includes(`REGISTRY_PROXY_REMOTEURL=${up.env.REGISTRY_MIRRORS!.slice('docker.io='.length)}`))

  const port = hostPort(w, cache)
  await eventually('the cache answers', () => answers(port))
  const first = await pull(port, 'library/tiny', '1')
  assert.equal(first, direct, 'the cache serves what the upstream holds')
  // the cache stores what it fetched in the background: wait for it before taking the upstream away
  await untilCached('the cache stored every blob', () => (first.blobs.every((d) => stored(w, cache, d)) ? [] : ['library/tiny:1']), () => pull(port, 'library/tiny', '1'))
  const afterFirst = counters(w, cache)

  assert.is(w.docker(['stop', '-t', '1', up.name]).status, 0)
  assert.not.ok(await answers(up.port), 'the upstream is gone')
  const second = await pull(port, 'library/tiny', '1')
  assert.equal(second, first, 'served from the cache, byte for byte')
  const afterSecond = counters(w, cache)
  const seen = JSON.stringify({ afterFirst, afterSecond })
  // distribution counts every blob it serves as a request (2.8 and 3.0 alike); misses are upstream fetches
  assert.is(afterSecond.blobs.Requests - afterFirst.blobs.Requests, first.blobs.length, seen)
  assert.is(afterSecond.blobs.Misses, afterFirst.blobs.Misses, `nothing fetched from the upstream again: ${seen}`)

  // the engine pulls it too, as a user pre-warming or checking the cache would
  const via = `127.0.0.1:${port}/library/tiny:1`
  w.trackImage(via)
  const dockerPull = w.docker(['pull', via])
  assert.is(dockerPull.status, 0, dockerPull.stderr)

  const status = await w.script('status', ['--json'], up.env)
  const row = (JSON.parse(status.stdout) as { mirrors?: { upstream: string; name: string; state: string; hostPort?: number; stats?: { sizeBytes?: number; blobs?: { hits: number } } }[] }).mirrors?.find((m) => m.upstream === 'docker.io')
  assert.ok(row, status.stdout)
  assert.is(row.state, 'running')
  assert.is(row.hostPort, port)
  assert.ok((row.stats?.sizeBytes ?? 0) > 0, 'size from du')
  assert.ok((row.stats?.blobs?.hits ?? 0) >= first.blobs.length, JSON.stringify(row))
  const human = await w.script('status', [], up.env)
  assert.match(human.stdout, new RegExp(`mirror +docker\\.io +${cache} on 127\\.0\\.0\\.1:${port}: [0-9.]+ (KiB|MiB), \\d+ hits / \\d+ misses since start`))

  // a second up changes nothing
  w.clearCalls()
  const again = await w.up(['--only', 'ports,mirrors'], up.env)
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stderr, 'reused 1 cache(s)')
  assert.equal(mutatingDocker(w), [])
})

tier.test('wiring: every node gets hosts.toml for the cache, nodes reach it by name; plain down keeps cache and volume, down --all deletes both', async () => {
  const w = await tier.world()
  const up = upstreamWithImage(w)
  const remote = up.env.REGISTRY_MIRRORS!.slice('docker.io='.length)
  // distribution's proxy asks its upstream for auth endpoints when it starts (no network here: the stand-in plays both)
  const env = { REGISTRY_MIRRORS: `docker.io=${remote},quay.io=${remote}` }
  const r = await w.up(['--only', 'ports,registry,mirrors,cluster,wiring,mirror-wiring'], env)
  assert.is(r.code, 0, r.stderr)
  const caches = [`${w.names.registry}-mirror-docker-io`, `${w.names.registry}-mirror-quay-io`]
  const nodes = [`${w.names.cluster}-control-plane`, `${w.names.cluster}-worker`]
  for (const cache of caches) assert.ok(w.names.network in inspect(w, cache)!.NetworkSettings.Networks, `${cache} joined the kind network`)
  for (const node of nodes) {
    const toml = w.docker(['exec', node, 'cat', '/etc/containerd/certs.d/docker.io/hosts.toml'])
    assert.is(toml.status, 0, toml.stderr)
    assert.match(toml.stdout, 'server = "https://registry-1.docker.io"')
    assert.match(toml.stdout, `[host."http://${caches[0]}:5000"]\n  capabilities = ["pull", "resolve"]`)
    assert.match(w.docker(['exec', node, 'cat', '/etc/containerd/certs.d/quay.io/hosts.toml']).stdout, 'server = "https://quay.io"')
    assert.is(w.docker(['exec', node, 'test', '-e', '/etc/containerd/certs.d/ghcr.io/hosts.toml']).status, 1, 'no cache, no hosts.toml')
    // what containerd on the node would do: reach the cache by name on the kind network
    const get = w.docker(['exec', node, 'timeout', '10', 'wget', '-qO-', `http://${caches[0]}:5000/v2/`])
    assert.is(get.status, 0, `${node} -> ${caches[0]}: ${get.stderr}`)
  }

  // a converged re-run writes nothing
  w.clearCalls()
  const again = await w.up(['--only', 'ports,registry,mirrors,cluster,wiring,mirror-wiring'], env)
  assert.is(again.code, 0, again.stderr)
  assert.equal(mutatingDocker(w), [])
  // each node read in two execs by the real cat: the wanted files (both as up writes them), the unwanted (none there)
  const certs = (h: string) => `/etc/containerd/certs.d/${h}/hosts.toml`
  const reads = commandLines(w.calls('docker')).filter((l) => /^docker exec \S+ cat /.test(l) && !l.includes(`certs.d/localhost:`))
  assert.equal(reads.sort(), nodes.flatMap((n) => [`docker exec ${n} cat ${certs('docker.io')} ${certs('quay.io')}`, `docker exec ${n} cat ${certs('ghcr.io')} ${certs('registry.k8s.io')}`]).sort())

  // turning quay.io off (its file is now read behind ghcr.io's, which is missing) removes its wiring (the cache stays until down --all)
  const fewer = await w.up(['--only', 'mirrors,mirror-wiring'], { REGISTRY_MIRRORS: `docker.io=${remote}` })
  assert.is(fewer.code, 0, fewer.stderr)
  for (const node of nodes) assert.is(w.docker(['exec', node, 'test', '-e', '/etc/containerd/certs.d/quay.io/hosts.toml']).status, 1)
  assert.ok(inspect(w, caches[1]!), 'the quay.io cache is kept')

  const down = await w.script('down', ['--yes'], env)
  assert.is(down.code, 0, down.stderr)
  for (const cache of caches) {
    assert.ok(inspect(w, cache), `${cache} kept by a plain down`)
    assert.is(w.docker(['volume', 'inspect', `${cache}-data`]).status, 0)
  }
  const all = await w.script('down', ['--yes', '--all'], env)
  assert.is(all.code, 0, all.stderr)
  for (const cache of caches) {
    assert.is(inspect(w, cache), undefined, `${cache} deleted by down --all`)
    assert.is.not(w.docker(['volume', 'inspect', `${cache}-data`]).status, 0, `${cache}-data deleted by down --all`)
  }
})

tier.run()
