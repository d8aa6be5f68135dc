// The heal plan is pure: which stopped node containers start first, which nodes are not back and why.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { containerState, healNodes, notBack, notBackDetails, planHeal, startLine, type HealNode } from '../../scripts/lib/heal/plan.mts'
import { healedLines } from '../../scripts/lib/heal/report.mts'
import { formatMs } from '../../scripts/lib/shell/ui.mts'

const node = (name: string, role: string, running: boolean, extra: Partial<HealNode> = {}): HealNode => ({ name, role, running, status: running ? 'running' : 'exited', exitCode: 0, ...extra })

test('control planes (and their load balancer) start first, then workers; running and paused nodes are left alone', () => {
  const p = planHeal([
    node('p-worker2', 'worker', false), node('p-worker', 'worker', true), node('p-control-plane', 'control-plane', false),
    node('p-external-load-balancer', 'external-load-balancer', false), node('p-worker3', 'worker', false, { status: 'paused' }),
  ])
  assert.equal(p.first, ['p-control-plane', 'p-external-load-balancer'])
  assert.equal(p.then, ['p-worker2'])
  assert.equal(p.all, ['p-control-plane', 'p-worker', 'p-worker2', 'p-worker3'], 'the load balancer has no Node object')
  assert.is(startLine(p, false), 'started 3 stopped node containers (control plane first, then workers): p-control-plane, p-external-load-balancer, p-worker2')
  assert.is(startLine({ first: [], then: ['p-worker'], all: [] }, true), 'would start 1 stopped node container: p-worker')
})

test('docker inspect fields become heal nodes (role from kind\'s label)', () => {
  const [n] = healNodes([{ name: 'p-worker', running: false, status: 'exited', labels: { 'io.x-k8s.kind.role': 'worker' }, exitCode: 137, error: '' }])
  assert.equal(n, { name: 'p-worker', role: 'worker', running: false, status: 'exited', exitCode: 137 })
  assert.is(containerState(n), 'exited (code 137)')
  assert.is(containerState(undefined), 'missing')
})

test('not back: a refused start says the daemon\'s reason; a dead API server names the control plane only; a NotReady node its condition', () => {
  const nodes = [node('p-control-plane', 'control-plane', false, { exitCode: 128 }), node('p-worker', 'worker', true)]
  const refused = notBack({ nodes, startErrors: { 'p-control-plane': 'Error response from daemon: ... port is already allocated' }, api: { ok: false, error: 'refused' }, readiness: [] })
  assert.equal(refused, [{ name: 'p-control-plane', container: 'exited (code 128)', why: 'docker start failed: Error response from daemon: ... port is already allocated' }])

  const apiDown = notBack({ nodes: [node('p-control-plane', 'control-plane', true), node('p-worker', 'worker', true)], startErrors: {}, api: { ok: false, error: 'The connection to the server 127.0.0.1:1 was refused' }, readiness: [] })
  assert.equal(apiDown.map((n) => n.name), ['p-control-plane'])
  assert.match(apiDown[0]!.why, 'the API server does not answer: The connection to the server 127.0.0.1:1 was refused')

  const notReady = notBack({
    nodes: [node('p-control-plane', 'control-plane', true), node('p-worker', 'worker', true), node('p-worker2', 'worker', true)],
    startErrors: {}, api: { ok: true },
    readiness: [{ name: 'p-control-plane', ready: 'True' }, { name: 'p-worker', ready: 'False', reason: 'KubeletNotReady', message: 'cni plugin not initialized' }],
  })
  assert.equal(notReady, [
    { name: 'p-worker', container: 'running', why: 'Node Ready=False (KubeletNotReady: cni plugin not initialized)' },
    { name: 'p-worker2', container: 'running', why: 'no Node object of that name (it never registered)' },
  ])
  const paused = notBack({ nodes: [node('p-worker', 'worker', false, { status: 'paused' })], startErrors: {}, api: { ok: true }, readiness: [{ name: 'p-worker', ready: 'Unknown' }] })
  assert.is(paused[0]!.why, 'its container is paused: docker unpause p-worker')
  const garbage = notBack({ nodes: [node('p-worker', 'worker', true)], startErrors: {}, api: { ok: true }, readiness: [], readinessError: 'kubectl printed something that is not JSON' })
  assert.is(garbage[0]!.why, 'its Ready condition could not be read: kubectl printed something that is not JSON')
  const stoppedAgain = notBack({ nodes: [node('p-worker', 'worker', false, { exitCode: 255 })], startErrors: {}, api: { ok: true }, readiness: [] })
  assert.is(stoppedAgain[0]!.why, 'its container stopped again after the start')
})

test('the details show each node\'s log lines, indented, or say there were none', () => {
  const text = notBackDetails([
    { name: 'a', container: 'exited (code 1)', why: 'docker start failed: x', logs: 'line 1\nline 2' },
    { name: 'b', container: 'running', why: 'Node Ready=Unknown', logs: '' },
  ], 20)
  assert.match(text, '  - a: container exited (code 1); docker start failed: x\n    last 20 log lines (docker logs --tail 20 a):\n      line 1\n      line 2')
  assert.match(text, '  - b: container running; Node Ready=Unknown\n    no log lines (docker logs --tail 20 b printed nothing)')
})

test('the closing block lists what was healed, or what would be, and nothing on a platform that needed nothing', () => {
  assert.equal(healedLines([], false), [])
  assert.equal(healedLines(['started x'], false), ['', 'healed (the platform had stopped):', '  - started x'])
  assert.equal(healedLines(['would start x'], true)[1], 'would heal (the platform had stopped):')
})

test('a wait bound reads in whole seconds from a minute on (never 2m60s)', () => {
  assert.is(formatMs(179_600), '3m0s')
  assert.is(formatMs(180_000), '3m0s')
  assert.is(formatMs(61_400), '1m1s')
  assert.is(formatMs(2000), '2.0s')
})

test.run()
