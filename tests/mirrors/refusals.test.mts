// What up refuses around the caches, on the fake CLIs: a stranger's container under a cache's name, --offline
// without caches or on an existing cluster, a bad REGISTRY_MIRRORS.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript } from '../helpers/proc.mts'
import { world } from '../cluster/support.mts'
import { cache } from './support.mts'

test('refusals: a same-name container up did not create is never touched (exit 4); --offline without caches or on an existing cluster is a usage error; a bad REGISTRY_MIRRORS names the key', async () => {
  const w = await world()
  try {
    w.setState((s) => {
      s.docker ??= { daemon: true, containers: {}, networks: {} }
      s.docker.containers[cache('ghcr.io')] = { Id: 'e'.repeat(64), Name: `/${cache('ghcr.io')}`, State: { Status: 'running', Running: true }, Config: { Image: 'nginx', Labels: {}, Env: [] }, HostConfig: { PortBindings: {} }, NetworkSettings: { Networks: { bridge: {} }, Ports: {} }, Mounts: [], files: {} }
    })
    const clash = await runScript('up', ['--only', 'preflight,ports,mirrors'], { env: w.env })
    assert.is(clash.code, 4, clash.stderr)
    assert.match(clash.stderr, `a container named "${cache('ghcr.io')}" exists but was not created by up (no label dev.platform.role=mirror)`)
    assert.match(clash.stderr, 'leave ghcr.io out of REGISTRY_MIRRORS')
    assert.is(w.state().docker.containers[cache('ghcr.io')].Config.Image, 'nginx', 'untouched')

    const off = await runScript('up', ['--offline'], { env: { ...w.env, REGISTRY_MIRRORS: 'off' } })
    assert.is(off.code, 2, off.stderr)
    assert.match(off.stderr, '--offline needs the pull-through caches, but REGISTRY_MIRRORS=off')
    const existing = await runScript('up', ['--offline'], { env: { ...w.env, PLATFORM_PROVIDER: 'existing', KUBE_CONTEXT: 'prod', FLUX_MODE: 'none' } })
    assert.is(existing.code, 2, existing.stderr)
    assert.match(existing.stderr, '--offline works with the kind provider only')
    const bad = await runScript('up', ['--dry-run'], { env: { ...w.env, REGISTRY_MIRRORS: 'docker.io=registry-1.docker.io' } })
    assert.is(bad.code, 2, bad.stderr)
    assert.match(bad.stderr, 'REGISTRY_MIRRORS="docker.io=registry-1.docker.io" (from env) is invalid')
  } finally {
    w.cleanup()
  }
})

test.run()
