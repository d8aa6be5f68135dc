// The registry container: a stopped one is started (not duplicated), a foreign one is reported and left alone,
// a changed port re-creates it and re-wires every node and the ConfigMap.
import { spawnSync } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { commandLines } from '../helpers/fakes.mts'
import { freePort } from '../../scripts/lib/shell/ports.mts'
import { mutatingLines, nodeFile, up, world } from './support.mts'

const docker = (env: NodeJS.ProcessEnv, args: string[]) => spawnSync('docker', args, { env, encoding: 'utf8' })

test('a stopped registry container is started, not duplicated', async () => {
  const w = await world()
  try {
    assert.is((await up(w)).code, 0)
    assert.is(docker(w.env, ['stop', 'kind-registry']).status, 0)
    w.clearCalls()
    const r = await up(w)
    assert.is(r.code, 0, r.stderr)
    assert.equal(mutatingLines(w.calls()), ['docker start kind-registry'])
    const registries = Object.values(w.state().docker.containers as Record<string, any>).filter((c) => c.Config.Labels['dev.platform.role'] === 'registry')
    assert.is(registries.length, 1)
    assert.is(registries[0].State.Running, true)
    assert.match(r.stderr, 'started the stopped kind-registry')
  } finally {
    w.cleanup()
  }
})

test('a same-name container without our label is reported before anything is created and never removed', async () => {
  const w = await world()
  try {
    const other = await freePort()
    assert.is(docker(w.env, ['run', '-d', '--name', 'kind-registry', '-p', `127.0.0.1:${other}:5000`, 'registry:2']).status, 0)
    w.clearCalls()
    const r = await up(w)
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, 'a container named "kind-registry" exists but was not created by up (no label dev.platform.role=registry)')
    assert.match(r.stderr, 'set REGISTRY_NAME to another name')
    assert.equal(mutatingLines(w.calls()), [])
    assert.is(w.state().docker.containers['kind-registry'].Config.Image, 'registry:2')
  } finally {
    w.cleanup()
  }
})

test('docker run failing to start (port taken after the check): the daemon\'s reason, one attempt, no container left in "created"', async () => {
  const w = await world()
  try {
    // the fake daemon allocates ports between its containers only, so the host-port check still sees it free
    assert.is(docker(w.env, ['run', '-d', '--name', 'squatter', '-p', `127.0.0.1:${w.ports.registry}:5000`, 'busybox']).status, 0)
    w.clearCalls()
    const r = await up(w)
    assert.is(r.code, 5, r.stderr)
    assert.match(r.stderr, `✖ registry: docker run failed: Error response from daemon: driver failed programming external connectivity on endpoint kind-registry`)
    assert.match(r.stderr, `Bind for 127.0.0.1:${w.ports.registry} failed: port is already allocated; the container it left in "created" state was removed`)
    assert.not.match(r.stderr, /--help|Conflict/)
    assert.match(r.stderr, 'another process or container took the port after the check')
    assert.is(mutatingLines(w.calls()).filter((l) => l.startsWith('docker run')).length, 1)
    assert.is(w.state().docker.containers['kind-registry'], undefined)
    assert.ok(w.state().docker.containers.squatter.State.Running, 'the other container is untouched')
    // a second up (port freed) creates the registry: nothing stale is in the way
    assert.is(docker(w.env, ['rm', '-f', 'squatter']).status, 0)
    assert.is((await up(w)).code, 0)
  } finally {
    w.cleanup()
  }
})

test('docker run refused for another reason (the bridge is gone): the daemon\'s reason and advice about the daemon, not about ports', async () => {
  const w = await world()
  try {
    w.inject({ tool: 'docker', match: ['run'], exitCode: 125, stderr: 'docker: Error response from daemon: failed to create endpoint kind-registry on network bridge: adding interface veth0bdb0f9 to bridge docker0 failed: could not find bridge docker0: route ip+net: no such network interface.\n' })
    const r = await up(w)
    assert.is(r.code, 5, r.stderr)
    assert.match(r.stderr, 'could not find bridge docker0')
    assert.match(r.stderr, 'the Docker daemon refused to start it')
    assert.not.match(r.stderr, 'took the port')
  } finally {
    w.cleanup()
  }
})

test('docker start failing: the daemon\'s reason, not "failed to start containers"', async () => {
  const w = await world()
  try {
    assert.is((await up(w)).code, 0)
    assert.is(docker(w.env, ['stop', 'kind-registry']).status, 0)
    assert.is(docker(w.env, ['run', '-d', '--name', 'squatter', '-p', `127.0.0.1:${w.ports.registry}:5000`, 'busybox']).status, 0)
    const r = await up(w)
    assert.is(r.code, 5, r.stderr)
    assert.match(r.stderr, /✖ registry: failed with exit code 1: Error response from daemon: driver failed programming external connectivity on endpoint kind-registry .*port is already allocated/)
    assert.not.match(r.stderr, 'failed to start containers')
  } finally {
    w.cleanup()
  }
})

test('REGISTRY_PORT changed: the registry is re-created on the new port and every node and the ConfigMap follow', async () => {
  const w = await world()
  try {
    assert.is((await up(w)).code, 0)
    const next = await freePort()
    w.clearCalls()
    const r = await up(w, [], { REGISTRY_PORT: String(next) })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, `re-creating registry kind-registry (port 127.0.0.1:${w.ports.registry} -> 127.0.0.1:${next})`)
    const changes = mutatingLines(w.calls())
    assert.ok(changes.includes('docker rm -f -v kind-registry'), changes.join('\n'))
    assert.ok(changes.some((l) => l.startsWith('docker run') && l.includes(`127.0.0.1:${next}:5000`)))
    assert.ok(changes.includes('docker network connect kind kind-registry'), 'the new container joins the kind network again')
    assert.not.ok(changes.some((l) => l.startsWith('kind ')), 'the cluster is untouched')
    for (const node of ['platform-control-plane', 'platform-worker', 'platform-worker2']) {
      assert.ok(nodeFile(w, node, `/etc/containerd/certs.d/localhost:${next}/hosts.toml`), node)
    }
    const cm = w.state().kube.objects['kind-platform'].find((o: any) => o.metadata.name === 'local-registry-hosting')
    assert.is(YAML.parse(cm.data['localRegistryHosting.v1']).host, `localhost:${next}`)
    assert.equal(commandLines(w.calls('docker')).filter((l) => l.startsWith('docker exec -i')).length, 3, 'only the new localhost:<port> file is written, once per node')
  } finally {
    w.cleanup()
  }
})

test.run()
