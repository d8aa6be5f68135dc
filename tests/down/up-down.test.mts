// up and down are a pair: down --yes undoes up's cluster but keeps the registry for the next up, which reuses
// (and reconnects) it; down --yes --all leaves nothing behind, including the kind network up's cluster brought.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import { commandLines } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { isMutating, platformState, up, world } from '../cluster/support.mts'
import { kubectlCallsWithoutContext } from './world.mts'

test('up -> down --yes (registry kept) -> up reuses it -> down --yes --all -> nothing of ours is left', async () => {
  const w = await world({}, { kube: { currentContext: 'prod-eks', contexts: { 'prod-eks': { server: 'prod.example:443' } }, objects: {} } })
  try {
    const first = await up(w)
    assert.is(first.code, 0, first.stderr)
    assert.equal(platformState(w).network, { name: 'kind', createdByUs: true }, 'up recorded that the kind network came with its cluster')
    // kind made its context current; the user goes back to the cloud one
    w.setState((s) => { s.kube.currentContext = 'prod-eks' })

    w.clearCalls()
    const down = await runScript('down', ['--yes'], { env: w.env })
    assert.is(down.code, 0, down.stderr)
    assert.equal(Object.keys(w.state().docker.containers), ['kind-registry'])
    // the kept registry left the kind network with the cluster, so the network up's cluster brought went too
    assert.not.ok('kind' in w.state().docker.networks)
    assert.equal(Object.keys(w.state().docker.containers['kind-registry'].NetworkSettings.Networks), ['bridge'])
    assert.equal(kubectlCallsWithoutContext(w, 'kind-platform'), [])
    assert.is(w.state().kube.currentContext, 'prod-eks')

    w.clearCalls()
    const again = await up(w)
    assert.is(again.code, 0, again.stderr)
    const made = commandLines(w.calls().filter(isMutating))
    assert.not.ok(made.some((l) => l.startsWith('docker run')), `the registry was reused:\n${made.join('\n')}`)
    assert.ok(made.some((l) => l.startsWith('kind create cluster')))
    assert.equal(platformState(w).network, { name: 'kind', createdByUs: true }, 'still ours: it appeared with our first cluster')
    w.setState((s) => { s.kube.currentContext = 'prod-eks' })

    const all = await runScript('down', ['--yes', '--all', '--json'], { env: w.env })
    assert.is(all.code, 0, all.stderr)
    assert.equal(Object.keys(w.state().docker.containers), [])
    assert.equal(Object.keys(w.state().docker.networks).sort(), ['bridge', 'host', 'none'])
    assert.equal(Object.keys(w.state().kube.contexts), ['prod-eks'])
    assert.is(w.state().kube.currentContext, 'prod-eks')
    assert.not.ok(fs.existsSync(w.env.STATE_DIR!))
    assert.equal(JSON.parse(all.stdout).leftovers, [])
  } finally {
    w.cleanup()
  }
})

test.run()
