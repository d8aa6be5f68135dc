// A node that cannot come back on a real engine (issue 15 "Done when"): up names it with the daemon's reason and
// its last log lines, exits 1 offering --recreate (and what it would lose), deletes nothing; once the cause is
// gone the next up heals it.
import * as assert from 'uvu/assert'
import { mutatingLines } from '../cluster/support.mts'
import { assertConverged, assertSecondUpChangesNothing, CLUSTER_LAYER, nodeStates } from './converged.mts'
import { dockerTier } from './tier.mts'

const tier = dockerTier('heaf')

tier.test('a control plane that cannot start (its gateway port taken by another container): exit 1 naming it with the daemon\'s reason, --recreate offered, nothing deleted; freed, up heals it', async () => {
  const w = await tier.world()
  const first = await w.up(CLUSTER_LAYER)
  assert.is(first.code, 0, first.stderr)
  const cp = `${w.names.cluster}-control-plane`
  const before = Object.keys(nodeStates(w)).sort()
  assert.is(w.docker(['stop', ...before]).status, 0)
  const holder = w.run('holder', ['-p', `127.0.0.1:${w.ports.http}:80`, w.standIns.node.tag])
  w.clearCalls()
  const r = await w.up(CLUSTER_LAYER)
  assert.is(r.code, 1, r.stderr)
  assert.match(r.stderr, `did not come back after docker start: ${cp} (docker start failed: Error response from daemon:`)
  assert.ok(/port is already allocated|address already in use/.test(r.stderr), r.stderr)
  assert.match(r.stderr, `last 20 log lines (docker logs --tail 20 ${cp})`)
  assert.match(r.stderr, 'npx zx scripts/up.mts --recreate --yes (re-creating deletes')
  assert.match(r.stderr, 'up deleted nothing')
  assert.equal(mutatingLines(w.calls()).filter((l) => /\b(rm|delete)\b/.test(l)), [])
  assert.equal(Object.keys(nodeStates(w)).sort(), before, 'every node container is still there')

  // the cause removed, the next up heals it
  assert.is(w.docker(['rm', '-f', holder]).status, 0)
  const again = await w.up(CLUSTER_LAYER)
  assert.is(again.code, 0, again.stderr)
  assertConverged(w, 2)
  await assertSecondUpChangesNothing(w)
})

tier.run()
