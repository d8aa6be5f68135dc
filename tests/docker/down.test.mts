// down's Docker part on a real engine: node containers and their volumes, the registry (kept by default, with its
// volume; removed with --all, volume included), the kind network only when nothing else uses it, and the
// leftover check against what the engine really holds afterwards.
import { spawnSync } from 'node:child_process'
import * as assert from 'uvu/assert'
import { dockerTier, type World } from './tier.mts'

const tier = dockerTier('down')
const CLUSTER_LAYER = ['--only', 'ports,registry,cluster,wiring']

const exists = (w: World, kind: 'container' | 'network' | 'volume', name: string) => w.docker([kind, 'inspect', name]).status === 0
const nodes = (w: World) => w.docker(['ps', '-a', '-q', '--filter', `label=io.x-k8s.kind.cluster=${w.names.cluster}`]).stdout.split('\n').filter(Boolean)

/** Volumes of the world's containers right now: node /var volumes and the registry's. */
function volumesOf(w: World): { nodes: string[]; registry: string[] } {
  const mounts = (names: string[]) => names.length
    ? (JSON.parse(w.docker(['inspect', '--type', 'container', ...names]).stdout) as { Mounts: { Type: string; Name: string }[] }[]).flatMap((c) => c.Mounts.filter((m) => m.Type === 'volume').map((m) => m.Name))
    : []
  return { nodes: mounts(nodes(w)), registry: mounts([w.names.registry]) }
}

async function platform(w: World): Promise<{ nodes: string[]; registry: string[] }> {
  const r = await w.up(CLUSTER_LAYER)
  assert.is(r.code, 0, r.stderr)
  const v = volumesOf(w)
  assert.is(v.nodes.length, 2)
  assert.is(v.registry.length, 1)
  return v
}

tier.test('down --yes: nodes and their volumes go, the registry stays with its volume but leaves the network, the unused network goes; a second down deletes nothing', async () => {
  const w = await tier.world()
  const v = await platform(w)
  const r = await w.script('down', ['--yes'])
  assert.is(r.code, 0, r.stderr)
  assert.equal(nodes(w), [])
  for (const x of v.nodes) assert.not.ok(exists(w, 'volume', x), `node volume ${x}`)
  assert.ok(exists(w, 'container', w.names.registry), 'the registry is a cache: kept')
  assert.ok(exists(w, 'volume', v.registry[0]!), 'with its images')
  const nets = Object.keys((JSON.parse(w.docker(['inspect', w.names.registry]).stdout) as { NetworkSettings: { Networks: Record<string, unknown> } }[])[0]!.NetworkSettings.Networks)
  assert.equal(nets, ['bridge'], r.stderr)
  assert.not.ok(exists(w, 'network', w.names.network), 'created by up, used by nothing: removed')

  const again = await w.script('down', ['--yes'])
  assert.is(again.code, 0, again.stderr)
  assert.not.match(again.stderr, /deleted/i)
  // the kept registry is where up finds it again: wired back into a new cluster's network
  const up = await w.up(CLUSTER_LAYER)
  assert.is(up.code, 0, up.stderr)
  assert.match(up.stderr, `reused ${w.names.registry}`)
})

tier.test('down --yes --all: the registry and its anonymous volume go too; nothing of the platform is left on the engine', async () => {
  const w = await tier.world()
  const v = await platform(w)
  const r = await w.script('down', ['--yes', '--all'])
  assert.is(r.code, 0, r.stderr)
  assert.equal(nodes(w), [])
  assert.not.ok(exists(w, 'container', w.names.registry))
  for (const x of [...v.nodes, ...v.registry]) assert.not.ok(exists(w, 'volume', x), `volume ${x}`)
  assert.not.ok(exists(w, 'network', w.names.network))
  const left = w.docker(['ps', '-a', '--filter', `name=^/${w.names.prefix}`, '--format', '{{.Names}}']).stdout.trim()
  assert.is(left, '')
})

tier.test('the kind network stays while a container that is not the platform\'s uses it; down names it and deletes the rest', async () => {
  const w = await tier.world()
  await platform(w)
  const other = w.run('other', [w.standIns.node.tag])
  assert.is(w.docker(['network', 'connect', w.names.network, other]).status, 0)
  const r = await w.script('down', ['--yes', '--all'])
  assert.is(r.code, 0, r.stderr)
  assert.ok(r.stderr.includes(`docker network "${w.names.network}" kept: other containers are attached: ${other}`), r.stderr)
  assert.ok(exists(w, 'network', w.names.network))
  assert.ok(exists(w, 'container', other), 'never touched')
  assert.equal(nodes(w), [])
  assert.not.ok(exists(w, 'container', w.names.registry))
})

tier.test('another kind cluster keeps the network only when its nodes are on it, stopped ones included', async () => {
  const a = await tier.world()
  const b = await tier.world()
  await platform(a)
  await platform(b)
  // a second cluster on b's network, stopped: it needs that network to start again
  const other = `${b.names.prefix}other`
  const kind = (args: string[]) => spawnSync('kind', args, { env: b.env, encoding: 'utf8' })
  const made = kind(['create', 'cluster', '--name', other, '--image', b.standIns.node.tag])
  assert.is(made.status, 0, made.stderr)
  assert.is(b.docker(['stop', `${other}-control-plane`]).status, 0)
  const r1 = await b.script('down', ['--yes', '--all'])
  assert.is(r1.code, 0, r1.stderr)
  assert.ok(r1.stderr.includes(`docker network "${b.names.network}" kept: other kind clusters use it`), r1.stderr)
  assert.ok(exists(b, 'network', b.names.network))
  // without it, b's network goes although a's cluster (on a's own network) is running
  assert.is(kind(['delete', 'cluster', '--name', other]).status, 0)
  assert.is(b.docker(['network', 'rm', b.names.network]).status, 0)
  await platform(b)
  const r2 = await b.script('down', ['--yes', '--all'])
  assert.is(r2.code, 0, r2.stderr)
  assert.not.ok(exists(b, 'network', b.names.network), r2.stderr)
  assert.ok(exists(a, 'network', a.names.network))
  assert.is(nodes(a).length, 2, 'the other world is untouched')
})

tier.run()
