// up on a platform that stopped (plain fakes): node containers, the registry and its network attachment come
// back (control plane first), a second up changes nothing, --dry-run only says what it would start.
// A node that cannot come back: up-heal-fail.test.mts.
import { spawnSync } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LAYER, mutatingLines, up } from '../cluster/support.mts'
import { converged, deletions, docker, NODES, starts } from './support.mts'

test('every node, the registry stopped and the registry off the kind network: up starts them (control plane first), re-connects, says what it healed; a second up changes nothing', async () => {
  const w = await converged()
  try {
    assert.is(docker(w, ['stop', ...NODES, 'kind-registry']).status, 0)
    assert.is(docker(w, ['network', 'disconnect', 'kind', 'kind-registry']).status, 0)
    w.clearCalls()
    const r = await up(w, ['--json'])
    assert.is(r.code, 0, r.stderr)
    // the registry phase runs beside the cluster phase; within the cluster, the control plane comes first
    const s = starts(w)
    assert.equal([...s].sort(), ['docker start kind-registry', 'docker start platform-control-plane', 'docker start platform-worker', 'docker start platform-worker2'])
    const cp = s.indexOf('docker start platform-control-plane')
    assert.ok(cp < s.indexOf('docker start platform-worker') && cp < s.indexOf('docker start platform-worker2'), s.join('\n'))
    assert.ok(mutatingLines(w.calls()).includes('docker network connect kind kind-registry'))
    assert.equal(deletions(w), [])
    assert.match(r.stderr, 'started 3 stopped node containers (control plane first, then workers): platform-control-plane, platform-worker, platform-worker2; every node Ready after')
    assert.match(r.stderr, 'healed (the platform had stopped):')
    const report = JSON.parse(r.stdout)
    assert.is(report.ok, true)
    assert.equal(report.healed.map((h: string) => h.replace(/after \S+$/, 'after <t>')), [
      `started the stopped kind-registry on 127.0.0.1:${w.ports.registry}`,
      'started 3 stopped node containers (control plane first, then workers): platform-control-plane, platform-worker, platform-worker2; every node Ready after <t>',
      'registry wiring: re-connected to the kind network',
    ])
    assert.ok(report.changed.includes('cluster nodes started'))

    w.clearCalls()
    const again = await up(w, ['--json'])
    assert.is(again.code, 0, again.stderr)
    assert.equal(mutatingLines(w.calls()), [])
    assert.equal(JSON.parse(again.stdout).healed, [])
    assert.not.match(again.stderr, 'healed')
  } finally {
    w.cleanup()
  }
})

test('only a worker stopped: only it is started; hosts.toml lost on a node is re-written and reported as healed', async () => {
  const w = await converged()
  try {
    assert.is(docker(w, ['stop', 'platform-worker2']).status, 0)
    w.setState((s) => { s.docker.containers['platform-worker'].files = {} })
    w.clearCalls()
    const r = await up(w)
    assert.is(r.code, 0, r.stderr)
    assert.equal(starts(w), ['docker start platform-worker2'])
    assert.match(r.stderr, 'started 1 stopped node container: platform-worker2')
    assert.match(r.stderr, '  - registry wiring: re-wrote hosts.toml on 1 node(s)')
  } finally {
    w.cleanup()
  }
})

test('--dry-run on a stopped cluster says what it would start and starts nothing', async () => {
  const w = await converged()
  try {
    assert.is(docker(w, ['stop', ...NODES]).status, 0)
    w.clearCalls()
    const r = await up(w, ['--dry-run'])
    assert.is(r.code, 0, r.stderr)
    assert.equal(starts(w), [])
    assert.match(r.stderr, 'would start 3 stopped node containers (control plane first, then workers): platform-control-plane, platform-worker, platform-worker2')
    assert.match(r.stderr, 'would heal (the platform had stopped):')
    // nothing can be read from stopped nodes: wiring says it checks them once they run, not that it would write
    assert.match(r.stderr, 'would check hosts.toml on 3 stopped node(s) once started')
    assert.not.match(r.stderr, 'would write hosts.toml')
    assert.match(r.stderr, 'a real run would change: cluster nodes started')
    assert.match(r.stderr, 'dry run: nothing was changed')
    assert.not.match(r.stderr, /\bstarted 3\b/)
    assert.is(w.state().docker.containers['platform-control-plane'].State.Running, false)
  } finally {
    w.cleanup()
  }
})

test('the only phases asked for still heal: --only ports,cluster on a stopped cluster', async () => {
  const w = await converged()
  try {
    assert.is(docker(w, ['stop', 'platform-control-plane']).status, 0)
    const refused = spawnSync('kubectl', ['--context', 'kind-platform', 'get', 'nodes'], { env: w.env, encoding: 'utf8' })
    assert.is(refused.status, 1)
    assert.match(refused.stderr, /^The connection to the server 127\.0\.0\.1:\d+ was refused - did you specify the right host or port\?\n$/)
    const r = await up(w, [], {})
    assert.is(r.code, 0, r.stderr)
    assert.ok(LAYER.length > 0)
    assert.equal(starts(w).slice(-1), ['docker start platform-control-plane'])
  } finally {
    w.cleanup()
  }
})

test.run()
