// The registry phase of `up` on a real engine: the pinned image (a stand-in built from Debian's docker-registry),
// its 127.0.0.1-only port, restart policy and anonymous volume; reuse, a stopped one started, a wrong image
// re-created without leaving its volume behind, a busy port remapped, and a port taken after the check.
import os from 'node:os'
import * as assert from 'uvu/assert'
import { canConnect, probePort } from '../../scripts/lib/shell/ports.mts'
import { commandLines } from '../helpers/fakes.mts'
import { dockerTier, type World } from './tier.mts'

const tier = dockerTier('reg')
const REGISTRY_PHASE = ['--only', 'ports,registry']

interface Inspect {
  Id: string
  Config: { Image: string; Labels: Record<string, string> }
  State: { Running: boolean; Status: string }
  RestartCount: number
  HostConfig: { RestartPolicy: { Name: string }; PortBindings: Record<string, { HostIp: string; HostPort: string }[]> }
  Mounts: { Type: string; Name: string; Destination: string }[]
}

function inspect(w: World, name: string): Inspect | undefined {
  const r = w.docker(['inspect', '--type', 'container', name])
  return r.status === 0 ? (JSON.parse(r.stdout) as Inspect[])[0] : undefined
}

const volumeExists = (w: World, v: string) => w.docker(['volume', 'inspect', v]).status === 0
const mutatingDocker = (w: World) => commandLines(w.calls('docker')).filter((l) => /^docker (run|start|stop|rm|create|network (connect|create|rm))\b/.test(l))

/** Poll (bounded) until `check` holds: the engine restarts a container on its own schedule. */
async function eventually(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000}s`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** GET /v2/ until it answers (the registry process may still be starting); its status. */
async function v2(port: number): Promise<Response> {
  let last: unknown
  const end = Date.now() + 30_000
  while (Date.now() < end) {
    try { return await fetch(`http://127.0.0.1:${port}/v2/`) } catch (e) { last = e }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`http://127.0.0.1:${port}/v2/ did not answer within 30s: ${String(last)}`)
}

const hostAddresses = () => Object.values(os.networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a!.address)

// The first four tests take the same registry through its life: created, reused, stopped, given another image.
// Each leaves it running with the pinned image; the file pays for one world.
let created = ''
const registry = tier.shared({}, async (w) => {
  const r = await w.up(REGISTRY_PHASE)
  assert.is(r.code, 0, r.stderr)
  created = r.stderr
})

tier.test('up creates the registry: the pinned image, 127.0.0.1 only, restart always, our label, /v2/ served from its anonymous volume', async () => {
  const w = await registry()
  assert.match(created, `created ${w.names.registry} on 127.0.0.1:${w.ports.registry}`)
  const c = inspect(w, w.names.registry)!
  assert.is(c.Config.Image, w.standIns.registry.pinned, 'the image cluster/versions.yaml pins, unchanged')
  assert.is(c.Config.Labels['dev.platform.role'], 'registry')
  assert.is(c.State.Running, true)
  assert.is(c.HostConfig.RestartPolicy.Name, 'always')
  assert.equal(c.HostConfig.PortBindings['5000/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(w.ports.registry) }])
  const vols = c.Mounts.filter((m) => m.Type === 'volume')
  assert.is(vols.length, 1)
  assert.is(vols[0]!.Destination, '/var/lib/registry')
  assert.match(vols[0]!.Name, /^[0-9a-f]{64}$/, 'anonymous, as the image declares VOLUME /var/lib/registry')

  const res = await v2(w.ports.registry)
  assert.is(res.status, 200)
  assert.is(res.headers.get('docker-distribution-api-version'), 'registry/2.0')
  for (const ip of hostAddresses()) assert.not.ok(await canConnect(w.ports.registry, ip, 1000), `not reachable on ${ip}:${w.ports.registry}`)

  // the restart policy for real: the registry process dies, the engine brings it back
  assert.is(w.docker(['exec', w.names.registry, 'kill', '1']).status, 0)
  await eventually('the engine restarts the registry', () => { const x = inspect(w, w.names.registry); return Boolean(x && x.RestartCount >= 1 && x.State.Running) })
  assert.is((await v2(w.ports.registry)).status, 200)
})

tier.test('a second up reuses the running registry: no docker run, start or rm, same container', async () => {
  const w = await registry()
  const before = inspect(w, w.names.registry)!
  w.clearCalls()
  const r = await w.up(REGISTRY_PHASE)
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, `reused ${w.names.registry}`)
  assert.equal(mutatingDocker(w), [])
  assert.is(inspect(w, w.names.registry)!.Id, before.Id)
})

tier.test('a stopped registry is started, not re-created: same container, same volume', async () => {
  const w = await registry()
  const before = inspect(w, w.names.registry)!
  assert.is(w.docker(['stop', w.names.registry]).status, 0)
  w.clearCalls()
  const r = await w.up(REGISTRY_PHASE)
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, `started the stopped ${w.names.registry}`)
  assert.equal(mutatingDocker(w), [`docker start ${w.names.registry}`])
  const after = inspect(w, w.names.registry)!
  assert.is(after.Id, before.Id)
  assert.is(after.State.Running, true)
  assert.equal(after.Mounts.map((m) => m.Name), before.Mounts.map((m) => m.Name))
})

tier.test('a registry with another image is re-created with the wanted one, and its old anonymous volume goes with it', async () => {
  const w = await registry()
  const pinnedVolume = inspect(w, w.names.registry)!.Mounts.find((m) => m.Type === 'volume')!.Name
  // the same stand-in under its own tag: another image reference than the pinned one
  const r1 = await w.up(REGISTRY_PHASE, { REGISTRY_IMAGE: w.standIns.registry.tag })
  assert.is(r1.code, 0, r1.stderr)
  assert.match(r1.stderr, `re-creating registry ${w.names.registry} (image ${w.standIns.registry.pinned} -> ${w.standIns.registry.tag})`)
  assert.not.ok(volumeExists(w, pinnedVolume), `the replaced registry's volume ${pinnedVolume} must not be left behind`)
  const before = inspect(w, w.names.registry)!
  assert.is(before.Config.Image, w.standIns.registry.tag)
  const oldVolume = before.Mounts.find((m) => m.Type === 'volume')!.Name
  const r = await w.up(REGISTRY_PHASE)
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, `re-creating registry ${w.names.registry} (image ${w.standIns.registry.tag} -> ${w.standIns.registry.pinned})`)
  const after = inspect(w, w.names.registry)!
  assert.is.not(after.Id, before.Id)
  assert.is(after.Config.Image, w.standIns.registry.pinned)
  assert.not.ok(volumeExists(w, oldVolume), `the replaced registry's volume ${oldVolume} must not be left behind`)
})

tier.test('REGISTRY_PORT held by another container (docker-proxy listening): the ports phase remaps to a free port', async () => {
  const w = await tier.world()
  const p = w.ports.registry
  w.run('holder', ['-p', `127.0.0.1:${p}:80`, w.standIns.node.tag])
  assert.is(await probePort(p), 'busy', 'dockerd publishes through its userland proxy (the default): the port is held on the host')
  const r = await w.up(REGISTRY_PHASE)
  assert.is(r.code, 0, r.stderr)
  const bound = Number(inspect(w, w.names.registry)!.HostConfig.PortBindings['5000/tcp']![0]!.HostPort)
  assert.is.not(bound, p)
  assert.match(r.stderr, String(bound))
  assert.is((await v2(bound)).status, 200)
})

tier.test('a port taken after the check: the daemon\'s own reason is shown and no "created" container is left behind (issue 12 row 8)', async () => {
  const w = await tier.world()
  const p = w.ports.registry
  w.run('holder', ['-p', `127.0.0.1:${p}:80`, w.standIns.node.tag])
  // without the ports phase, up uses REGISTRY_PORT as configured: the race "free when checked, taken at docker run"
  const r = await w.up(['--only', 'registry'])
  assert.is(r.code, 5, r.stderr)
  assert.ok(/Error response from daemon: .*(port is already allocated|address already in use)/.test(r.stderr), `the daemon's reason:\n${r.stderr}`)
  assert.not.ok(r.stderr.includes("Run 'docker run --help'"), r.stderr)
  assert.not.ok(r.stderr.includes('is already in use by container'), `a retry of the named run must not end in a name conflict:\n${r.stderr}`)
  assert.is(inspect(w, w.names.registry), undefined, 'the container docker created before the port failed is removed')
})

tier.run()
