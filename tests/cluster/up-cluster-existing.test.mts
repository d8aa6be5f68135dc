// An existing kind cluster: differences are reported and only re-created on request; a lost kube context is
// exported again.
import { spawnSync } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { freePort } from '../../scripts/lib/shell/ports.mts'
import { mutatingLines, nodeFile, platformState, up, world } from './support.mts'

test('WORKERS and INGRESS_HTTP_PORT changed: reported and kept without --recreate; --recreate needs --yes; then re-created', async () => {
  const w = await world()
  try {
    assert.is((await up(w)).code, 0)
    const firstHash = platformState(w).cluster.configHash
    const newHttp = await freePort()
    const changed = { WORKERS: '3', INGRESS_HTTP_PORT: String(newHttp) }

    w.clearCalls()
    let r = await up(w, [], changed)
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, 'kind cluster "platform" differs from the desired config')
    assert.match(r.stderr, 'workers: the cluster has 2, WORKERS wants 3')
    assert.match(r.stderr, `gateway HTTP host port: the cluster maps ${w.ports.http}, INGRESS_HTTP_PORT wants ${newHttp}`)
    assert.match(r.stderr, 'npx zx scripts/up.mts --recreate --yes')
    assert.equal(mutatingLines(w.calls()), [])
    assert.is(platformState(w).cluster.configHash, firstHash, 'a kept cluster keeps the hash it was created with')
    assert.is(platformState(w).ports.http, w.ports.http, 'the existing mapping wins while the cluster is kept')

    w.clearCalls()
    r = await up(w, ['--recreate'], changed)
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, '--yes')
    assert.equal(mutatingLines(w.calls()), [])

    w.clearCalls()
    r = await up(w, ['--recreate', '--yes'], changed)
    assert.is(r.code, 0, r.stderr)
    const changes = mutatingLines(w.calls())
    const del = changes.indexOf('kind delete cluster --name platform')
    const create = changes.findIndex((l) => l.startsWith('kind create cluster --name platform'))
    assert.ok(del >= 0 && create > del, changes.join('\n'))
    const workers = Object.keys(w.state().docker.containers).filter((n) => /^platform-worker\d*$/.test(n)).sort()
    assert.equal(workers, ['platform-worker', 'platform-worker2', 'platform-worker3'])
    // the new node is wired to the registry too
    assert.ok(nodeFile(w, 'platform-worker3', `/etc/containerd/certs.d/localhost:${w.ports.registry}/hosts.toml`))
    assert.is.not(platformState(w).cluster.configHash, firstHash)
    assert.equal(w.state().docker.containers['platform-control-plane'].HostConfig.PortBindings['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(newHttp) }])
    assert.is(platformState(w).ports.http, newHttp)
    assert.is(platformState(w).cluster.createdByUs, true)
  } finally {
    w.cleanup()
  }
})

test('kind knows the cluster but the kube context is gone: exported again, nothing else changes', async () => {
  const w = await world()
  try {
    assert.is((await up(w)).code, 0)
    assert.is(spawnSync('kubectl', ['config', 'delete-context', 'kind-platform'], { env: w.env }).status, 0)
    w.clearCalls()
    const r = await up(w)
    assert.is(r.code, 0, r.stderr)
    assert.equal(mutatingLines(w.calls()), ['kind export kubeconfig --name platform'])
    assert.ok(w.state().kube.contexts['kind-platform'])
  } finally {
    w.cleanup()
  }
})

test.run()
