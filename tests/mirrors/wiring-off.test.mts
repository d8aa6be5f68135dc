// REGISTRY_MIRRORS=off on the fake CLIs: the wiring up wrote goes, a foreign hosts.toml and the caches stay.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript } from '../helpers/proc.mts'
import { world } from '../cluster/support.mts'
import { cache, HOSTS, LAYER } from './support.mts'

const NODES = ['platform-control-plane', 'platform-worker', 'platform-worker2']

test('REGISTRY_MIRRORS=off: the nodes lose the hosts.toml up wrote (a foreign one stays), the caches are kept and up says so', async () => {
  const w = await world()
  try {
    assert.is((await runScript('up', LAYER, { env: w.env })).code, 0)
    w.setState((s) => { s.docker.containers['platform-worker'].files['/etc/containerd/certs.d/quay.io/hosts.toml'] = 'server = "https://quay.io"\n# mine\n' })
    const off = await runScript('up', LAYER, { env: { ...w.env, REGISTRY_MIRRORS: 'off' } })
    assert.is(off.code, 0, off.stderr)
    assert.match(off.stderr, 'REGISTRY_MIRRORS=off (caches that exist are kept: down --all deletes them)')
    assert.match(off.stderr, 'removed 11 hosts.toml of upstreams without a cache')
    const s = w.state().docker
    for (const node of NODES) for (const h of HOSTS) {
      const f = s.containers[node].files[`/etc/containerd/certs.d/${h}/hosts.toml`]
      if (node === 'platform-worker' && h === 'quay.io') assert.is(f, 'server = "https://quay.io"\n# mine\n')
      else assert.is(f, undefined, `${node} ${h}`)
    }
    for (const h of HOSTS) assert.ok(s.containers[cache(h)], `${h} cache kept`)
  } finally {
    w.cleanup()
  }
})

test.run()
