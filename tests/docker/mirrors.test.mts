// The pull-through caches on a real engine (issue 16). A second local registry plays docker.io's upstream and
// holds a pushed stand-in image; `up` makes the docker.io cache fetch from it (REGISTRY_MIRRORS=docker.io=<url>).
// A pull through the cache fetches the image once; with the upstream stopped the cache serves it again, byte for
// byte, its counters show hits and no new misses, and status shows them. Then a node is wired and `down` keeps
// the cache (plain) or deletes it with its volume (--all).
import crypto from 'node:crypto'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { dockerTier, type World } from './tier.mts'

const tier = dockerTier('mirror')

interface Inspect {
  Id: string
  Config: { Image: string; Labels: Record<string, string>; Env: string[] }
  State: { Running: boolean }
  HostConfig: { RestartPolicy: { Name: string }; PortBindings: Record<string, { HostIp: string; HostPort: string }[]> }
  NetworkSettings: { IPAddress: string; Networks: Record<string, unknown> }
  Mounts: { Type: string; Name: string; Destination: string }[]
}

function inspect(w: World, name: string): Inspect | undefined {
  const r = w.docker(['inspect', '--type', 'container', name])
  return r.status === 0 ? (JSON.parse(r.stdout) as Inspect[])[0] : undefined
}

/** The 127.0.0.1 port docker picked for a container's 5000/tcp. */
function hostPort(w: World, name: string): number {
  const r = w.docker(['port', name, '5000/tcp'])
  const m = /127\.0\.0\.1:(\d+)/.exec(r.stdout)
  if (!m) throw new Error(`docker port ${name}: ${r.stdout}${r.stderr}`)
  return Number(m[1])
}

/** Poll (bounded) until `check` holds: a condition, never a fixed sleep. */
async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000}s`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

const answers = async (port: number) => { try { return (await fetch(`http://127.0.0.1:${port}/v2/`)).status === 200 } catch { return false } }

const ACCEPT = ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.index.v1+json'].join(', ')

interface Pulled { manifestDigest: string; blobs: string[] }

/** What a node's containerd does for a pull, over plain HTTP: the manifest by tag, then every blob, each digest checked. */
async function pull(port: number, repo: string, tag: string): Promise<Pulled> {
  const base = `http://127.0.0.1:${port}/v2/${repo}`
  const m = await fetch(`${base}/manifests/${tag}`, { headers: { accept: ACCEPT } })
  const body = Buffer.from(await m.arrayBuffer())
  if (m.status !== 200) throw new Error(`GET ${base}/manifests/${tag}: ${m.status} ${body.toString()}`)
  const manifest = JSON.parse(body.toString()) as { config: { digest: string }; layers: { digest: string }[] }
  const blobs = [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]
  for (const d of blobs) {
    const b = await fetch(`${base}/blobs/${d}`)
    const bytes = Buffer.from(await b.arrayBuffer())
    if (b.status !== 200) throw new Error(`GET ${base}/blobs/${d}: ${b.status}`)
    assert.is(`sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`, d, `blob ${d} arrives intact`)
  }
  return { manifestDigest: `sha256:${crypto.createHash('sha256').update(body).digest('hex')}`, blobs }
}

interface Counters { Requests: number; Hits: number; Misses: number }
/** The cache's own proxy counters (expvar on its debug address, inside the container). */
function counters(w: World, cache: string): { blobs: Counters; manifests: Counters } {
  const r = w.docker(['exec', cache, 'wget', '-qO-', 'http://127.0.0.1:5001/debug/vars'])
  assert.is(r.status, 0, r.stderr)
  return (JSON.parse(r.stdout) as { registry: { proxy: { blobs: Counters; manifests: Counters } } }).registry.proxy
}

const stored = (w: World, cache: string, digest: string) =>
  w.docker(['exec', cache, 'test', '-f', `/var/lib/registry/docker/registry/v2/blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}/data`]).status === 0

// a throwaway `docker run --rm` only reads (the --offline check); everything else that runs, starts or removes changes
const mutatingDocker = (w: World) => commandLines(w.calls('docker')).filter((l) => (/^docker (run|start|stop|rm|volume rm|network (connect|create|rm))\b/.test(l) && !/^docker run --rm /.test(l)) || /^docker exec -i /.test(l) || /^docker exec \S+ rm /.test(l))

/** An upstream registry with `library/tiny:1` pushed into it; the env that makes up's docker.io cache fetch from it. */
function upstreamWithImage(w: World): { name: string; env: NodeJS.ProcessEnv; port: number } {
  const name = w.run('upstream', ['-p', '127.0.0.1::5000', w.standIns.registry.tag])
  const port = hostPort(w, name)
  const ip = inspect(w, name)!.NetworkSettings.IPAddress
  return { name, port, env: { REGISTRY_MIRRORS: `docker.io=http://${ip}:5000` } }
}

tier.test('a pull through the docker.io cache fetches the image from the upstream once, then serves it from the cache with the upstream stopped', async () => {
  const w = await tier.world()
  const up = upstreamWithImage(w)
  await eventually('the upstream registry answers', () => answers(up.port))
  const pushed = `127.0.0.1:${up.port}/library/tiny:1`
  w.trackImage(pushed)
  assert.is(w.docker(['tag', tier.standIn('base').tag, pushed]).status, 0)
  const push = w.docker(['push', pushed])
  assert.is(push.status, 0, push.stderr)
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
  await eventually('the cache stored every blob', () => first.blobs.every((d) => stored(w, cache, d)))
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

  // turning quay.io off removes its wiring (the cache stays until down --all)
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

const HOSTS = ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io'] as const
const slug = (h: string) => h.replace(/[^a-z0-9]+/g, '-')

/** host, repository and tag of an image reference as containerd resolves it (docker.io/library implied). */
function split(ref: string): { host: string; repo: string; tag: string } {
  let rest = ref
  let tag = 'stand-in'
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon) }
  const first = rest.split('/')[0]!
  const host = first.includes('.') ? first : 'docker.io'
  let repo = first.includes('.') ? rest.slice(first.length + 1) : rest
  if (host === 'docker.io' && !repo.includes('/')) repo = `library/${repo}`
  return { host, repo, tag }
}

tier.test('the offline second run: --offline names what the caches miss before anything is created; once they hold it, the caches serve it with every upstream gone and the caches restarted', async () => {
  const w = await tier.world()
  const up = upstreamWithImage(w)
  const remote = up.env.REGISTRY_MIRRORS!.slice('docker.io='.length)
  const env = { REGISTRY_MIRRORS: HOSTS.map((h) => `${h}=${remote}`).join(',') }
  const caches = HOSTS.map((h) => `${w.names.registry}-mirror-${slug(h)}`)

  // 1. nothing cached yet: up --offline stops before creating anything and lists every image it would need
  const before = await w.up(['--offline', '--only', 'ports,mirrors'], env)
  assert.is(before.code, 4, before.stderr)
  assert.match(before.stderr, 'no cache for docker.io yet')
  assert.match(before.stderr, 'quay.io/jetstack/cert-manager-controller:v1.21.1 (chart cert-manager v1.21.1): not in the quay.io cache')
  assert.match(before.stderr, 'registry.k8s.io/e2e-test-images/agnhost:2.53 (netpol probes): not in the registry.k8s.io cache')
  assert.match(before.stderr, /ghcr\.io\/fluxcd\/source-controller:\S+ \(Flux v2\.7\.2\): not in the ghcr\.io cache/, before.stderr)
  for (const c of caches) assert.is(inspect(w, c), undefined, `--offline created nothing (${c})`)
  const refs = [...before.stderr.matchAll(/^\s+(\S+) \([^)]*\): not in the \S+ cache( —|$)/gm)].map((m) => m[1]!)
  assert.ok(refs.length >= 15, before.stderr)

  // 2. online: the upstream holds every one of them (the stand-in under each name), the caches fetch them once
  await eventually('the upstream registry answers', () => answers(up.port))
  const base = tier.standIn('base').tag
  for (const ref of refs) {
    const { repo, tag } = split(ref)
    const there = `127.0.0.1:${up.port}/${repo}:${tag}`
    w.trackImage(there)
    assert.is(w.docker(['tag', base, there]).status, 0)
    const p = w.docker(['push', there])
    assert.is(p.status, 0, p.stderr)
  }
  const made = await w.up(['--only', 'ports,mirrors'], env)
  assert.is(made.code, 0, made.stderr)
  assert.match(made.stderr, /0\/\d+ add-on and probe images cached/)
  const ports = new Map<string, number>(HOSTS.map((h, i) => [h, hostPort(w, caches[i]!)]))
  for (const p of ports.values()) await eventually('a cache answers', () => answers(p))
  const pulled = new Map<string, Pulled>()
  for (const ref of refs) {
    const { host, repo, tag } = split(ref)
    pulled.set(ref, await pull(ports.get(host)!, repo, tag))
  }
  // each cache stores what it fetched in the background: wait until every repository links its blobs
  await eventually('the caches stored every blob', () => refs.every((ref) => {
    const { host, repo } = split(ref)
    const cache = caches[HOSTS.indexOf(host as typeof HOSTS[number])]!
    return pulled.get(ref)!.blobs.every((d) => stored(w, cache, d) && w.docker(['exec', cache, 'test', '-f', `/var/lib/registry/docker/registry/v2/repositories/${repo}/_layers/sha256/${d.slice(7)}/link`]).status === 0)
  }), 60_000)

  // 3. the network goes: the upstream stops, a cache restarts (as after a reboot). In proxy mode distribution asks
  // its upstream for auth endpoints before it serves anything, and exits (or waits on the dead address) without it.
  assert.is(w.docker(['stop', '-t', '1', up.name]).status, 0)
  assert.is(w.docker(['restart', '-t', '1', caches[0]!]).status, 0)

  // 4. up --offline: everything is there, so it goes on, and the caches serve what they hold without an upstream
  const offline = await w.up(['--offline', '--only', 'ports,mirrors'], env)
  assert.is(offline.code, 0, offline.stderr)
  assert.match(offline.stderr, `offline: all ${refs.length} images the platform pulls are in the caches`)
  assert.match(offline.stderr, `re-creating cache ${caches[0]} (--offline: serve what it holds without its upstream)`)
  for (const c of caches) {
    const info = inspect(w, c)!
    assert.ok(!info.Config.Env.some((e) => e.startsWith('REGISTRY_PROXY_REMOTEURL=')), `${c} serves without an upstream`)
    assert.equal(info.Mounts.filter((m) => m.Type === 'volume').map((m) => m.Name), [`${c}-data`], 'same volume: nothing lost')
  }
  const offlinePorts = new Map<string, number>(HOSTS.map((h, i) => [h, hostPort(w, caches[i]!)]))
  for (const p of offlinePorts.values()) await eventually('a cache answers offline', () => answers(p))
  for (const ref of refs) {
    const { host, repo, tag } = split(ref)
    assert.equal(await pull(offlinePorts.get(host)!, repo, tag), pulled.get(ref), `${ref} served offline, byte for byte`)
  }

  // 5. a second offline run changes nothing; back online, a plain up returns them to proxy mode, data kept
  w.clearCalls()
  const again = await w.up(['--offline', '--only', 'ports,mirrors'], env)
  assert.is(again.code, 0, again.stderr)
  assert.equal(mutatingDocker(w), [])
})

tier.run()
