// REGISTRY_MIRRORS=off on the fake CLIs: the wiring up wrote goes, a foreign hosts.toml and the caches stay.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { world } from '../cluster/support.mts'
import { cache, HOSTS, LAYER } from './support.mts'

const NODES = ['platform-control-plane', 'platform-worker', 'platform-worker2']
const K8S = '/etc/containerd/certs.d/registry.k8s.io/hosts.toml'

test('REGISTRY_MIRRORS=off: the nodes lose the hosts.toml up wrote (a foreign one stays), the caches are kept and up says so', async () => {
  const w = await world()
  try {
    assert.is((await runScript('up', LAYER, { env: w.env })).code, 0)
    const ours = w.state().docker.containers['platform-control-plane'].files[K8S]
    assert.match(ours, 'registry.k8s.io')
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


    // mirrors still off: a node with nothing of ours is read once; one of our files behind missing ones
    // (registry.k8s.io is read after the three the control plane lacks) is still found and removed
    w.setState((st) => { st.docker.containers['platform-control-plane'].files[K8S] = ours })
    w.clearCalls()
    const again = await runScript('up', LAYER, { env: { ...w.env, REGISTRY_MIRRORS: 'off' } })
    assert.is(again.code, 0, again.stderr)
    assert.match(again.stderr, 'removed 1 hosts.toml of upstreams without a cache')
    assert.is(w.state().docker.containers['platform-control-plane'].files[K8S], undefined)
    const reads = (node: string) => commandLines(w.calls('docker')).filter((l) => l.startsWith(`docker exec ${node} cat `) && HOSTS.some((h) => l.includes(`/${h}/hosts.toml`)))
    assert.equal(reads('platform-worker2'), [`docker exec platform-worker2 cat ${HOSTS.map((h) => `/etc/containerd/certs.d/${h}/hosts.toml`).join(' ')}`])
  } finally {
    w.cleanup()
  }
})

test.run()
