// The offline second run on a real engine (issue 16): `up --offline` names what the caches miss before it creates
// anything; once they hold every image the platform pulls (stand-ins under each name, fetched through the caches
// from an upstream registry), the upstream goes, a cache restarts, and `up --offline` makes the caches serve what
// they hold without it.
import * as assert from 'uvu/assert'
import { answers, copyImage, eventually, hostPort, inspect, mutatingDocker, pull, pushTiny, storedFiles, untilCached, upstreamWithImage, type Pulled } from './mirrors-support.mts'
import { dockerTier } from './tier.mts'

const tier = dockerTier('offln')

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
  await pushTiny(w, up, tier.standIn('base').tag)
  for (const ref of refs) {
    const { repo, tag } = split(ref)
    await copyImage(up.port, { repo: 'library/tiny', tag: '1' }, { repo, tag })
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
  const v2 = '/var/lib/registry/docker/registry/v2'
  await untilCached('the caches stored every blob', () => {
    const files = new Map(caches.map((c) => [c, storedFiles(w, c)]))
    return refs.filter((ref) => {
      const { host, repo } = split(ref)
      const held = files.get(caches[HOSTS.indexOf(host as typeof HOSTS[number])]!)!
      return !pulled.get(ref)!.blobs.every((d) => held.has(`${v2}/blobs/sha256/${d.slice(7, 9)}/${d.slice(7)}/data`) && held.has(`${v2}/repositories/${repo}/_layers/sha256/${d.slice(7)}/link`))
    })
  }, (ref) => { const { host, repo, tag } = split(ref); return pull(ports.get(host)!, repo, tag) })

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
