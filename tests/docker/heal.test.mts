// Day two on a real engine (issue 15): the platform's containers stop, the registry leaves the kind network, a
// node cannot start; `up` brings it back to converged (a second up changes nothing), or names the node that cannot
// come back (heal-node.test.mts). The registry off the network: heal-network.test.mts. The engine restart itself:
// heal-restart.serial.test.mts.
import * as assert from 'uvu/assert'
import { assertConverged, assertSecondUpChangesNothing, CLUSTER_LAYER, dockerStarts, nodeStates } from './converged.mts'
import { dockerTier } from './tier.mts'

const tier = dockerTier('heal')
const NODES = 2

// one platform taken through every scenario; each test leaves it converged
const platform = tier.shared({ workers: 1 }, async (w) => {
  const r = await w.up(CLUSTER_LAYER)
  assert.is(r.code, 0, r.stderr)
  assertConverged(w, NODES)
})

tier.test('every node container stopped (a reboot): up starts the control plane, then the workers, waits for Ready; a second up changes nothing', async () => {
  const w = await platform()
  const nodes = Object.keys(nodeStates(w)).sort()
  assert.is(w.docker(['stop', ...nodes]).status, 0)
  w.clearCalls()
  const r = await w.up([...CLUSTER_LAYER, '--json'])
  assert.is(r.code, 0, r.stderr)
  const starts = dockerStarts(w)
  assert.is(starts[0], `docker start ${w.names.cluster}-control-plane`)
  assert.equal([...starts].sort(), nodes.map((n) => `docker start ${n}`))
  const healed = (JSON.parse(r.stdout) as { healed: string[] }).healed
  assert.match(healed[0] ?? '', `started 2 stopped node containers (control plane first, then workers): ${nodes.join(', ')}; every node Ready after`)
  assert.match(r.stderr, 'healed (the platform had stopped):')
  assertConverged(w, NODES)
  await assertSecondUpChangesNothing(w)
})

tier.test('the registry stopped: started (the same container, its images kept); a second up changes nothing', async () => {
  const w = await platform()
  const id = w.docker(['inspect', '-f', '{{.Id}}', w.names.registry]).stdout.trim()
  assert.is(w.docker(['stop', w.names.registry]).status, 0)
  w.clearCalls()
  const r = await w.up(CLUSTER_LAYER)
  assert.is(r.code, 0, r.stderr)
  assert.equal(dockerStarts(w), [`docker start ${w.names.registry}`])
  assert.match(r.stderr, `  - started the stopped ${w.names.registry}`)
  assert.is(w.docker(['inspect', '-f', '{{.Id}}', w.names.registry]).stdout.trim(), id)
  assertConverged(w, NODES)
  await assertSecondUpChangesNothing(w)
})

tier.run()
