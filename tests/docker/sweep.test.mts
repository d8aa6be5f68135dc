// The tier's own promise on a shared engine: it removes exactly what it made, also after a run died, and never
// what it did not make (an image someone else holds under a pinned tag included).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { withLock } from './runs.mts'
import { sweepStale } from './session.mts'
import { HASH_LABEL, pinStandIn, STANDIN_LABEL } from './standins.mts'
import { readEvents, sweep } from './sweep.mts'
import { dockerTier, type World } from './tier.mts'
import { exists } from './down-support.mts'

const tier = dockerTier('swp')

const volumeOf = (w: World, name: string) => (JSON.parse(w.docker(['inspect', name]).stdout) as { Mounts: { Name: string }[] }[])[0]!.Mounts[0]!.Name

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 150; i++) { if (check()) return; await new Promise((r) => setTimeout(r, 200)) }
  throw new Error(`${what}: not within 30s`)
}

tier.test('what a dead run left (containers with their volumes, named volumes, networks) is swept; a live run\'s things are not', async () => {
  const w = await tier.world()
  const dead = spawnSync('true').pid!
  const prefix = `ptier-${dead.toString(36)}-dead-`
  const holder = `${prefix}holder`
  const mine = w.run('live', [w.standIns.node.tag])
  // under the tier lock from creation to sweep: another tier run on the engine (a second suite) sweeps stale runs
  // when it starts, and would otherwise take this fabricated dead run's things first
  const { anon, notes } = withLock(() => {
    assert.is(w.docker(['network', 'create', `${prefix}net`]).status, 0)
    assert.is(w.docker(['volume', 'create', `${prefix}vol`]).status, 0)
    assert.is(w.docker(['run', '-d', '--name', holder, '--network', `${prefix}net`, w.standIns.registry.tag]).status, 0)
    return { anon: volumeOf(w, holder), notes: sweepStale() }
  })
  assert.ok(notes.some((n) => n.includes(`dead run ${dead.toString(36)}-dead`)), notes.join('\n'))
  for (const [kind, name] of [['container', holder], ['volume', anon], ['volume', `${prefix}vol`], ['network', `${prefix}net`]] as const) {
    assert.not.ok(exists(w, kind, name), `${kind} ${name} of the dead run`)
  }
  assert.ok(exists(w, 'container', mine), 'a live run is never swept')
})

tier.test('a volume left behind by a container removed without -v is found through the run\'s event record and removed', async () => {
  const w = await tier.world()
  const name = w.run('orphan', [w.standIns.registry.tag])
  const vol = volumeOf(w, name)
  await until('the mount event is recorded', () => readEvents(tier.runId).some((e) => e.Type === 'volume' && e.Action === 'mount' && e.Actor?.ID === vol))
  assert.is(w.docker(['rm', '-f', name]).status, 0)
  assert.ok(exists(w, 'volume', vol), 'docker rm without -v leaves it')
  assert.equal(sweep({ id: tier.runId, prefix: w.names.prefix, images: [] }), [])
  assert.not.ok(exists(w, 'volume', vol))
})

tier.test('a pinned tag held by an image that is not a stand-in is used as it is and never re-tagged or removed', async () => {
  const w = await tier.world()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptier-foreign-'))
  try {
    fs.writeFileSync(path.join(dir, 'x'), 'someone else\'s image\n')
    const tar = spawnSync('tar', ['-C', dir, '-cf', '-', 'x'])
    const foreign = `${w.names.prefix}pinned:1.0`
    w.trackImage(foreign)
    assert.is(w.docker(['import', '-', foreign], tar.stdout.toString('latin1')).status, 0)
    const before = w.docker(['image', 'inspect', '--format', '{{.Id}}', foreign]).stdout
    const ours = w.standIns.registry.tag
    const hash = w.docker(['image', 'inspect', '--format', `{{index .Config.Labels "${HASH_LABEL}"}}`, ours]).stdout.trim()
    assert.is(withLock(() => pinStandIn(ours, hash, foreign)), false)
    assert.is(w.docker(['image', 'inspect', '--format', '{{.Id}}', foreign]).stdout, before, 'not re-tagged')
    // free, the tag becomes the stand-in's
    const free = `${w.names.prefix}free:1.0`
    w.trackImage(free)
    assert.is(withLock(() => pinStandIn(ours, hash, free)), true)
    assert.is(w.docker(['image', 'inspect', '--format', `{{index .Config.Labels "${STANDIN_LABEL}"}}`, free]).stdout.trim(), 'registry')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

tier.run()
