// down and the kind network on a real engine: it goes with the cluster only when up created it and nothing else
// needs it: not a container that is not the platform's, not another kind cluster with nodes on it (stopped ones
// included); a cluster on another network (KIND_EXPERIMENTAL_DOCKER_NETWORK) does not hold it.
import { spawnSync } from 'node:child_process'
import * as assert from 'uvu/assert'
import { dockerTier } from './tier.mts'
import { exists, nodes, platform } from './down-support.mts'

const tier = dockerTier('dnet')

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

tier.test('another kind cluster holds the network only when its nodes are on it, stopped ones included', async () => {
  const a = await tier.world()
  const b = await tier.world()
  // a's cluster runs on a's own network: it does not hold b's
  const ra = await a.up(['--only', 'ports,cluster'])
  assert.is(ra.code, 0, ra.stderr)
  await platform(b)
  const r1 = await b.script('down', ['--yes'])
  assert.is(r1.code, 0, r1.stderr)
  assert.not.ok(exists(b, 'network', b.names.network), r1.stderr)
  assert.equal(nodes(a).length, 2, 'the other world is untouched')
  // up again; then a second cluster on b's network, stopped: it needs that network to start again
  await platform(b)
  const other = `${b.names.prefix}other`
  const kind = (args: string[]) => spawnSync('kind', args, { env: b.env, encoding: 'utf8' })
  const made = kind(['create', 'cluster', '--name', other, '--image', b.standIns.node.tag])
  assert.is(made.status, 0, made.stderr)
  assert.is(b.docker(['stop', `${other}-control-plane`]).status, 0)
  const r2 = await b.script('down', ['--yes', '--all'])
  assert.is(r2.code, 0, r2.stderr)
  assert.ok(r2.stderr.includes(`docker network "${b.names.network}" kept: other kind clusters use it`), r2.stderr)
  assert.ok(exists(b, 'network', b.names.network))
  assert.equal(nodes(b), [])
})

tier.run()
