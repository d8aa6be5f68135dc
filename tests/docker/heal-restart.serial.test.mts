// The engine restarts under a running platform (issue 15): every container stops with the daemon; when it comes
// back, Docker starts what its restart policies say (the registry: always; kind's nodes: on-failure:1, so only if
// they exited with an error) and the rest stays stopped. Then `up` returns to a converged platform and a second
// up changes nothing. Only the engine this test run started is restarted (engine-restart.mts); this file is
// serial, so no other file's containers are running when it does.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { assertConverged, assertSecondUpChangesNothing, CLUSTER_LAYER, nodeStates } from './converged.mts'
import { ownEngine, restartEngine } from './engine-restart.mts'
import { dockerTier } from './tier.mts'

const tier = dockerTier('rest')
const engine = ownEngine()
const NAME = 'the engine restarted under a converged platform: what Docker did not bring back, up does; a second up changes nothing'

async function eventually(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000}s`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

if ('unmet' in engine) {
  // skipped by name, also where the tier is required: a developer's own daemon is never restarted
  process.stdout.write(`[skipped] tests/docker/heal-restart.serial.test.mts › ${NAME}: ${engine.unmet}\n`)
  test.skip(NAME, () => {})
} else {
  tier.test(NAME, async () => {
    const w = await tier.world({ workers: 1 })
    const r = await w.up(CLUSTER_LAYER)
    assert.is(r.code, 0, r.stderr)
    assertConverged(w, 2)

    await restartEngine(engine)
    const registryRunning = () => w.docker(['inspect', '-f', '{{.State.Running}}', w.names.registry]).stdout.trim() === 'true'
    // --restart=always: Docker itself starts the registry again (asynchronously, after the daemon answers)
    await eventually('the registry (--restart=always) running again', registryRunning)
    const after = nodeStates(w)
    process.stdout.write(`after the engine restart Docker had: ${Object.entries(after).map(([n, s]) => `${n} ${s}`).join(', ')}, ${w.names.registry} running\n`)

    const healed = await w.up([...CLUSTER_LAYER, '--json'])
    assert.is(healed.code, 0, healed.stderr)
    const stopped = Object.entries(after).filter(([, s]) => s !== 'running').map(([n]) => n)
    const report = JSON.parse(healed.stdout) as { healed: string[] }
    if (stopped.length) assert.ok(report.healed.some((h) => stopped.every((n) => h.includes(n))), `the nodes Docker left stopped are reported healed: ${JSON.stringify(report.healed)}`)
    assertConverged(w, 2)
    await assertSecondUpChangesNothing(w)
  })
}

tier.run()
