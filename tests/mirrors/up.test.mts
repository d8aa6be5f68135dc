// up on the fake CLIs: one cache per upstream with its wiring, Docker Hub credentials that reach the container and
// no output, a converged re-run.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { isMutating, world } from '../cluster/support.mts'
import { cache, HOSTS, LAYER } from './support.mts'

const NODES = ['platform-control-plane', 'platform-worker', 'platform-worker2']
const SECRET = 'dckr_pat_n0t-4-r34l-t0k3n'

test('up: one cache per upstream (named volume, 127.0.0.1, kind network), hosts.toml on every node, Docker Hub credentials only in the container\'s environment; a second up changes nothing', async () => {
  const w = await world({ REGISTRY_MIRROR_DOCKERHUB_USERNAME: 'me', REGISTRY_MIRROR_DOCKERHUB_PASSWORD: SECRET })
  try {
    const r = await runScript('up', [...LAYER, '--verbose'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.not.ok(`${r.stdout}${r.stderr}`.includes(SECRET), 'the password is never printed, --verbose included')
    assert.not.ok(commandLines(w.calls()).some((l) => l.includes(SECRET)), 'nor on any command line')
    assert.match(r.stderr, 'created docker.io, created ghcr.io, created quay.io, created registry.k8s.io')
    const s = w.state().docker
    for (const h of HOSTS) {
      const c = s.containers[cache(h)]
      assert.ok(c, `${cache(h)} exists`)
      assert.is(c.Config.Labels['dev.platform.role'], 'mirror')
      assert.equal(c.Mounts.map((m: any) => [m.Type, m.Name, m.Destination]), [['volume', `${cache(h)}-data`, '/var/lib/registry']])
      assert.equal(c.HostConfig.PortBindings['5000/tcp'], [{ HostIp: '127.0.0.1', HostPort: '' }])
      assert.ok('kind' in c.NetworkSettings.Networks, `${h} cache joined the kind network`)
      for (const node of NODES) {
        const toml = s.containers[node].files[`/etc/containerd/certs.d/${h}/hosts.toml`]
        assert.match(toml, `[host."http://${cache(h)}:5000"]\n  capabilities = ["pull", "resolve"]`)
        assert.match(toml, `server = "${h === 'docker.io' ? 'https://registry-1.docker.io' : `https://${h}`}"`)
      }
    }
    // the value reached the container through docker's own environment (-e NAME)
    assert.ok(s.containers[cache('docker.io')].Config.Env.includes(`REGISTRY_PROXY_PASSWORD=${SECRET}`))
    assert.not.ok(s.containers[cache('quay.io')].Config.Env.some((e: string) => e.startsWith('REGISTRY_PROXY_PASSWORD')))

    w.clearCalls()
    // --verbose again: now docker inspect's output carries the password in the cache's Config.Env
    const again = await runScript('up', [...LAYER, '--verbose'], { env: w.env })
    assert.is(again.code, 0, again.stderr)
    assert.not.ok(`${again.stdout}${again.stderr}`.includes(SECRET), 'not printed when docker inspect shows it either')
    assert.equal(commandLines(w.calls().filter(isMutating)), [], 'converged: the same credentials keep the caches as they are')
    assert.match(again.stderr, 'reused 4 cache(s)')
    // a converged node is read once for its four mirror hosts.toml, not once per upstream
    const reads = commandLines(w.calls('docker')).filter((l) => l.startsWith('docker exec ') && l.includes('/docker.io/hosts.toml'))
    assert.equal(reads.sort(), NODES.map((n) => `docker exec ${n} cat ${HOSTS.map((h) => `/etc/containerd/certs.d/${h}/hosts.toml`).join(' ')}`))
    assert.match(again.stderr, /0\/\d+ add-on and probe images cached/)
  } finally {
    w.cleanup()
  }
})

test.run()
