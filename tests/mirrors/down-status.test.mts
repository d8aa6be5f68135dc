// status and down on the fake CLIs: each cache's size and hits; plain down keeps caches and volumes, --all deletes both.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript } from '../helpers/proc.mts'
// @ts-expect-error plain JS fake
import { cacheFiles } from '../fakes/tools/docker-mirrors.mjs'
import { world } from '../cluster/support.mts'
import { cache, HOSTS, LAYER } from './support.mts'

test('down keeps the caches and their volumes (and says how to delete them); down --all deletes both; status shows each cache', async () => {
  const w = await world()
  try {
    assert.is((await runScript('up', LAYER, { env: w.env })).code, 0)
    w.setState((s) => {
      s.docker.containers[cache('docker.io')].files = cacheFiles(['library/traefik:v3'])
      s.docker.containers[cache('docker.io')].proxy = { blobs: { Requests: 5, Hits: 3, Misses: 2 }, manifests: { Requests: 2, Hits: 1, Misses: 1 } }
    })
    const status = await runScript('status', [], { env: w.env })
    assert.match(status.stdout, /mirror +docker\.io +kind-registry-mirror-docker-io on 127\.0\.0\.1:\d+: \d+\.\d KiB, 4 hits \/ 3 misses since start \(blobs 3\/2, manifests 1\/1\)/)
    assert.match(status.stdout, /mirror +quay\.io +kind-registry-mirror-quay-io on 127\.0\.0\.1:\d+: [\d.]+ KiB, 0 hits \/ 0 misses since start/)

    const plain = await runScript('down', ['--yes'], { env: w.env })
    assert.is(plain.code, 0, plain.stderr)
    assert.match(plain.stderr, 'pull-through caches kept with their cached images')
    const s = w.state().docker
    for (const h of HOSTS) {
      assert.ok(s.containers[cache(h)], `${h} cache kept`)
      assert.ok(s.volumes[`${cache(h)}-data`], `${h} volume kept`)
    }
    const dry = await runScript('down', ['--yes', '--all', '--dry-run'], { env: w.env })
    assert.is(dry.code, 0, dry.stderr)
    assert.match(`${dry.stdout}${dry.stderr}`, `remove pull-through cache ${cache('docker.io')} and its volume ${cache('docker.io')}-data`)
    assert.ok(w.state().docker.containers[cache('docker.io')], '--dry-run deletes nothing')

    const all = await runScript('down', ['--yes', '--all'], { env: w.env })
    assert.is(all.code, 0, all.stderr)
    const t = w.state().docker
    for (const h of HOSTS) {
      assert.is(t.containers[cache(h)], undefined, `${h} cache deleted`)
      assert.is(t.volumes[`${cache(h)}-data`], undefined, `${h} volume deleted`)
    }
    const again = await runScript('down', ['--yes', '--all'], { env: w.env })
    assert.is(again.code, 0, again.stderr)
  } finally {
    w.cleanup()
  }
})

test.run()
