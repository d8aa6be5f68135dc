// down's Docker part on a real engine: node containers and their volumes, the registry (kept by default, with its
// volume; removed with --all, volume included), and the leftover check against what the engine really holds
// afterwards. The kind network's rules: down-network.test.mts.
import * as assert from 'uvu/assert'
import { dockerTier } from './tier.mts'
import { CLUSTER_LAYER, exists, nodes, platform } from './down-support.mts'

const tier = dockerTier('down')

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

tier.run()
