// up on a platform that stopped (plain fakes), when a node cannot come back: it is named with why and its last
// log lines, exit 1, nothing deleted, --recreate offered (and honoured only with --yes).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mutatingLines, up } from '../cluster/support.mts'
import { converged, deletions, docker, NODES, starts } from './support.mts'

test('a control plane that cannot start (its host port taken meanwhile): named with the daemon\'s reason and its last log lines, exit 1, nothing deleted, --recreate offered', async () => {
  const w = await converged()
  try {
    assert.is(docker(w, ['stop', ...NODES]).status, 0)
    // another container takes the gateway port the control plane publishes
    assert.is(docker(w, ['run', '-d', '--name', 'squatter', '-p', `127.0.0.1:${w.ports.http}:80`, 'nginx']).status, 0)
    w.setState((s) => { s.docker.containers['platform-control-plane'].logs = Array.from({ length: 30 }, (_, i) => `log line ${i + 1}`).join('\n') })
    w.clearCalls()
    const r = await up(w)
    assert.is(r.code, 1, r.stderr)
    assert.match(r.stderr, 'platform-control-plane: container exited (code 128); docker start failed: Error response from daemon: driver failed programming external connectivity')
    assert.match(r.stderr, `Bind for 127.0.0.1:${w.ports.http} failed: port is already allocated`)
    assert.match(r.stderr, 'last 20 log lines (docker logs --tail 20 platform-control-plane):\n      log line 11\n')
    assert.not.match(r.stderr, 'log line 10\n')
    assert.match(r.stderr, 'did not come back after docker start: platform-control-plane')
    assert.match(r.stderr, 'npx zx scripts/up.mts --recreate --yes (re-creating deletes kind cluster "platform"')
    assert.match(r.stderr, 'up deleted nothing')
    assert.equal(deletions(w), [])
    assert.ok(w.state().docker.containers['platform-control-plane'], 'the node is kept for inspection')

    // --recreate without --yes and without a TTY: refused before anything is deleted
    w.clearCalls()
    const refused = await up(w, ['--recreate'])
    assert.is(refused.code, 4, refused.stderr)
    assert.match(refused.stderr, '--yes')
    assert.equal(deletions(w), [])
  } finally {
    w.cleanup()
  }
})

test('a worker that starts but never becomes Ready: named after HEAL_TIMEOUT with its Node condition; up --recreate --yes then replaces the cluster', async () => {
  const w = await converged({ HEAL_TIMEOUT: '2s' })
  try {
    assert.is(docker(w, ['stop', 'platform-worker']).status, 0)
    w.setState((s) => { (s.kube.stuck ??= []).push({ kind: 'Node', name: 'platform-worker' }) })
    w.clearCalls()
    const r = await up(w)
    assert.is(r.code, 1, r.stderr)
    assert.match(r.stderr, 'node of kind cluster "platform" did not come back within HEAL_TIMEOUT (2s): platform-worker (Node Ready=False (KubeletNotReady')
    assert.match(r.stderr, 'no log lines (docker logs --tail 20 platform-worker printed nothing)')
    assert.equal(deletions(w), [])

    // the node still does not come back: with --recreate --yes the cluster is replaced (after the same bounded wait)
    w.clearCalls()
    const re = await up(w, ['--recreate', '--yes'])
    assert.is(re.code, 0, re.stderr)
    const changes = mutatingLines(w.calls())
    assert.ok(changes.indexOf('kind delete cluster --name platform') >= 0 && changes.some((l) => l.startsWith('kind create cluster')), changes.join('\n'))
    assert.match(re.stderr, 're-created platform (platform-worker did not come back)')
  } finally {
    w.cleanup()
  }
})

test('the control-plane container removed behind kind\'s back: no bounded wait for an API server that cannot come, exit 1 naming it, --recreate offered', async () => {
  const w = await converged({ HEAL_TIMEOUT: '10m' })
  try {
    assert.is(docker(w, ['rm', '-f', 'platform-control-plane']).status, 0)
    assert.is(docker(w, ['stop', 'platform-worker']).status, 0)
    w.clearCalls()
    const r = await up(w)
    assert.is(r.code, 1, r.stderr)
    assert.match(r.stderr, 'control-plane nodes: the cluster has 0')
    assert.match(r.stderr, 'platform-control-plane: container missing; the control-plane container is gone (removed outside kind): only re-creating the cluster brings it back')
    assert.match(r.stderr, '--recreate --yes')
    assert.equal(deletions(w), [])
  } finally {
    w.cleanup()
  }
})

test('kubectl answers garbage for the nodes: bounded by HEAL_TIMEOUT, then each node named with what went wrong (not "never registered")', async () => {
  const w = await converged({ HEAL_TIMEOUT: '1s' })
  try {
    assert.is(docker(w, ['stop', 'platform-worker']).status, 0)
    w.inject({ tool: 'kubectl', match: 'get nodes --request-timeout', exitCode: 0, stdout: '<html>proxy error</html>' })
    const r = await up(w)
    assert.is(r.code, 1, r.stderr)
    assert.match(r.stderr, 'platform-worker: container running; its Ready condition could not be read: kubectl printed something that is not JSON')
    assert.equal(deletions(w), [])
  } finally {
    w.cleanup()
  }
})

test.run()
