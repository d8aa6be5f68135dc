// down's safety rules and failure handling, without a terminal, against the stateful fake docker/kind/kubectl.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { alive, fakePortForward, kindWorld, mutatingCalls, unrelatedProcess } from './world.mts'

test('a same-name registry container without our label is never touched, even with --all, and is reported', async () => {
  const w = await kindWorld({ registry: 'foreign' })
  try {
    const r = await runScript('down', ['--yes', '--all', '--json'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.equal(w.containers(), ['kind-registry'])
    assert.not.ok(commandLines(w.f.calls('docker')).some((l) => l.startsWith('docker rm')))
    const report = JSON.parse(r.stdout)
    assert.ok(report.notes.some((n: string) => n.includes('no label dev.platform.role=registry')), r.stdout)
    // it is still attached to the kind network, so the network stays
    assert.ok('kind' in w.f.state().docker.networks)
  } finally {
    w.cleanup()
  }
})

test('another kind cluster: only ours (exact name) is deleted, and the shared kind network stays', async () => {
  const w = await kindWorld({ otherCluster: 'platform-2' })
  try {
    const r = await runScript('down', ['--yes', '--all'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.equal(w.clusters(), ['platform-2'])
    assert.ok(w.containers().every((c) => c.startsWith('platform-2-')), w.containers().join(','))
    assert.ok('kind' in w.f.state().docker.networks)
    assert.ok(w.contexts().includes('kind-platform-2'))
    assert.match(r.stderr, 'other kind clusters are left alone: platform-2')
  } finally {
    w.cleanup()
  }
})

test('a kind network up did not create is left alone, and so is the kept registry on it', async () => {
  const w = await kindWorld({ networkCreatedByUs: false })
  try {
    w.f.clearCalls()
    const r = await runScript('down', ['--yes'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.equal(mutatingCalls(w), ['kind delete cluster --name platform'])
    assert.ok('kind' in w.f.state().docker.networks)
    assert.ok('kind' in w.f.state().docker.containers['kind-registry'].NetworkSettings.Networks)
  } finally {
    w.cleanup()
  }
})

test('port-forwards recorded in forwards.json: live ones are stopped, a reused pid is left alone', async () => {
  const w = await kindWorld()
  const pf = fakePortForward()
  const other = unrelatedProcess()
  try {
    fs.writeFileSync(path.join(w.stateDir, 'forwards.json'), JSON.stringify([
      { pid: pf.pid, what: 'grafana http://127.0.0.1:3000' },
      { pid: other.pid, what: 'prometheus http://127.0.0.1:9090' },
      { pid: 999_999_999, what: 'long gone' },
    ]))
    const r = await runScript('down', ['--yes'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.not.ok(alive(pf.pid!), 'the port-forward was stopped')
    assert.ok(alive(other.pid!), 'the unrelated process still runs')
    assert.match(r.stderr, `pid ${other.pid} (recorded for prometheus http://127.0.0.1:9090) is no longer a port-forward`)
  } finally {
    for (const c of [pf, other]) { try { process.kill(c.pid!, 'SIGKILL') } catch { /* gone */ } }
    w.cleanup()
  }
})

test('leftovers: a delete that "succeeds" but leaves the cluster exits 1 and names it', async () => {
  const w = await kindWorld()
  try {
    w.f.inject({ tool: 'kind', match: 'delete cluster', exitCode: 0, stderr: 'Deleting cluster "platform" ...\n' })
    const r = await runScript('down', ['--yes', '--json'], { env: w.env })
    assert.is(r.code, 1, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.ok(report.leftovers.includes('kind cluster platform'), r.stdout)
    assert.is(report.ok, false)
    assert.match(r.stderr, /left over: .*kind cluster platform/)
  } finally {
    w.cleanup()
  }
})

test('a failing step does not stop the rest; the leftover check decides the exit code', async () => {
  const w = await kindWorld()
  try {
    w.f.inject({ tool: 'docker', match: 'rm -f -v kind-registry', exitCode: 1, stderr: 'Error response from daemon: removal of container kind-registry is already in progress\n' })
    const r = await runScript('down', ['--yes', '--all'], { env: w.env })
    assert.is(r.code, 1, r.stderr)
    assert.equal(w.clusters(), [], 'the cluster still went')
    assert.not.ok(fs.existsSync(w.stateDir), 'the state still went')
    assert.match(r.stderr, 'registry container kind-registry')
    assert.match(r.stderr, 'already in progress')
  } finally {
    w.cleanup()
  }
})

test('Docker not reachable: fails before deleting anything, saying so', async () => {
  const w = await kindWorld()
  try {
    w.f.setState((s) => { s.docker.daemon = false })
    const before = fs.readdirSync(w.stateDir)
    const r = await runScript('down', ['--yes'], { env: w.env })
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, /Docker daemon|docker daemon/)
    assert.match(r.stderr, 'nothing was deleted')
    assert.equal(fs.readdirSync(w.stateDir), before)
  } finally {
    w.cleanup()
  }
})

test.run()
