// Day two on a real engine (issue 15), the network: the registry dropped off the kind network (alone, and with
// everything stopped as after a reboot); up re-connects it and the nodes reach it by name again.
import * as assert from 'uvu/assert'
import { mutatingLines } from '../cluster/support.mts'
import { assertConverged, assertSecondUpChangesNothing, CLUSTER_LAYER, nodeStates } from './converged.mts'
import { dockerTier } from './tier.mts'

const tier = dockerTier('healn')
const NODES = 2

// one platform taken through every scenario; each test leaves it converged
const platform = tier.shared({ workers: 1 }, async (w) => {
  const r = await w.up(CLUSTER_LAYER)
  assert.is(r.code, 0, r.stderr)
  assertConverged(w, NODES)
})

tier.test('the registry disconnected from the kind network: re-connected, reached by name from every node again; a second up changes nothing', async () => {
  const w = await platform()
  assert.is(w.docker(['network', 'disconnect', w.names.network, w.names.registry]).status, 0)
  w.clearCalls()
  const r = await w.up(CLUSTER_LAYER)
  assert.is(r.code, 0, r.stderr)
  assert.equal(mutatingLines(w.calls()), [`docker network connect ${w.names.network} ${w.names.registry}`])
  assert.match(r.stderr, `  - registry wiring: re-connected to the ${w.names.network} network`)
  assertConverged(w, NODES)
  await assertSecondUpChangesNothing(w)
})

tier.test('everything at once (nodes and registry stopped, registry off the network): converged again in one up', async () => {
  const w = await platform()
  assert.is(w.docker(['network', 'disconnect', w.names.network, w.names.registry]).status, 0)
  assert.is(w.docker(['stop', w.names.registry, ...Object.keys(nodeStates(w))]).status, 0)
  const r = await w.up(CLUSTER_LAYER)
  assert.is(r.code, 0, r.stderr)
  assertConverged(w, NODES)
  await assertSecondUpChangesNothing(w)
})

tier.run()
