// A failed `kind create cluster` leaves a clear message with the log hint and no half-registered state.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mutatingLines, platformState, up, world } from './support.mts'

const KUBEADM_FAILURE = [
  'Creating cluster "platform" ...',
  ' ✓ Ensuring node image (kindest/node:v1.34.0) 🖼',
  ' ✓ Preparing nodes 📦 📦 📦',
  ' ✓ Writing configuration 📜',
  ' ✗ Starting control-plane 🕹️',
  'ERROR: failed to create cluster: failed to init node with kubeadm: command "docker exec --privileged platform-control-plane kubeadm init --config=/kind/kubeadm.conf --skip-token-print --v=6" failed with error: exit status 1',
  'Command Output: I1020 10:00:00.000000     213 initconfiguration.go:261] loading configuration from "/kind/kubeadm.conf"',
  '',
].join('\n')

test('kind create cluster failing: clear message with the log hint, nothing claims a cluster, partial nodes removed', async () => {
  const w = await world()
  try {
    // passthrough: kind leaves the nodes behind (as with --retain) and still fails
    w.inject({ tool: 'kind', match: ['create', 'cluster'], exitCode: 1, stderr: KUBEADM_FAILURE, passthrough: true })
    const r = await up(w)
    assert.is(r.code, 5, r.stderr)
    assert.match(r.stderr, 'kind create cluster failed: ERROR: failed to create cluster: failed to init node with kubeadm')
    assert.match(r.stderr, 'the partial cluster was deleted')
    assert.match(r.stderr, 'kind create cluster --retain --name platform --config ')
    assert.match(r.stderr, 'kind export logs --name platform')
    assert.not.match(r.stderr, /\n\s+at /)
    assert.ok(mutatingLines(w.calls()).includes('kind delete cluster --name platform'))
    const nodes = Object.keys(w.state().docker.containers).filter((n) => n.startsWith('platform-'))
    assert.equal(nodes, [])
    assert.is(w.state().kube.contexts['kind-platform'], undefined)
    const state = platformState(w)
    assert.is(state.cluster, undefined)
    assert.is(state.lastRun.ok, false)
    // the registry phase (independent of the cluster) may have finished; it is recorded as what it is
    assert.not.match(JSON.stringify(state), '"context":"kind-platform"')
  } finally {
    w.cleanup()
  }
})

test('kind create cluster failing cleanly (kind removed its nodes): no delete needed, state claims no cluster', async () => {
  const w = await world()
  try {
    w.inject({ tool: 'kind', match: ['create', 'cluster'], exitCode: 1, stderr: KUBEADM_FAILURE })
    const r = await up(w)
    assert.is(r.code, 5, r.stderr)
    assert.match(r.stderr, 'failed to init node with kubeadm')
    assert.not.ok(mutatingLines(w.calls()).some((l) => l.startsWith('kind delete')))
    assert.is(platformState(w).cluster, undefined)
  } finally {
    w.cleanup()
  }
})

test('kind create refused because the nodes already exist (another run made them meanwhile): that cluster is never deleted', async () => {
  const w = await world()
  try {
    // passthrough: the cluster appears (made by "someone else" between our look and our create), and our kind
    // answers as kind does when nodes of that name exist
    w.inject({ tool: 'kind', match: ['create', 'cluster'], exitCode: 1, passthrough: true, stderr: 'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "platform"\n' })
    const r = await up(w)
    assert.is(r.code, 5, r.stderr)
    assert.match(r.stderr, 'node(s) already exist for a cluster with the name')
    assert.match(r.stderr, 'was created by someone else meanwhile')
    assert.not.ok(mutatingLines(w.calls()).some((l) => l.startsWith('kind delete')), mutatingLines(w.calls()).join('\n'))
    assert.ok(Object.keys(w.state().docker.containers).includes('platform-control-plane'), 'the other run\'s cluster is still there')
    assert.is(platformState(w).cluster, undefined, 'and it is not claimed as ours')
  } finally {
    w.cleanup()
  }
})

test('kind create cluster that hangs is killed after CLUSTER_TIMEOUT plus a small margin: "timed out after Ns", exit 6', async () => {
  const w = await world({ CLUSTER_TIMEOUT: '2s' })
  try {
    w.inject({ tool: 'kind', match: ['create', 'cluster'], hang: true })
    const r = await up(w)
    assert.is(r.code, 6, r.stderr)
    assert.match(r.stderr, 'kind create cluster timed out after 3s (CLUSTER_TIMEOUT 2s plus margin)')
    assert.match(r.stderr, 'raise CLUSTER_TIMEOUT')
    assert.not.match(r.stderr, /exit code 143|no output|Warning/)
    const create = w.calls('kind').find((c) => c.argv[0] === 'create')!
    assert.ok(create.argv.join(' ').includes('--wait 2s'), create.argv.join(' '))
  } finally {
    w.cleanup()
  }
})

test.run()
