// `down` as a user runs it without a terminal, against the stateful fake docker/kind/kubectl.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { alive, fakePortForward, kindWorld, kubectlCallsWithoutContext, PASSWORD, unrelatedProcess } from './world.mts'

const MUTATING = /^(kind (create|delete)|docker (rm|run|stop|network (rm|disconnect|create))|kubectl .*(delete|config (delete|use|set))|helm (uninstall|upgrade)|flux uninstall)/

const mutatingCalls = (w: Awaited<ReturnType<typeof kindWorld>>) => commandLines(w.f.calls()).filter((l) => MUTATING.test(l.replace(/--context \S+ /, '')))

test('without a TTY and without --yes: exits non-zero naming --yes before touching anything, also on an open pipe', async () => {
  const w = await kindWorld()
  try {
    const before = w.snapshot()
    w.f.clearCalls()
    for (const stdin of ['closed', 'open'] as const) {
      const r = await runScript('down', [], { env: w.env, stdin, timeoutMs: 30_000 })
      assert.is(r.code, 4, r.stderr)
      assert.match(r.stderr, '--yes')
      assert.match(r.stderr, 'kind cluster "platform"')
      assert.not.match(r.stderr, /at .*\.mts:\d+/) // no stack trace
    }
    assert.equal(w.f.calls(), [], 'not even a read-only call')
    assert.equal(w.snapshot(), before)
  } finally {
    w.cleanup()
  }
})

test('--yes: cluster, its context and local state go; the registry stays; the cloud context is untouched', async () => {
  const w = await kindWorld()
  try {
    w.f.clearCalls()
    const r = await runScript('down', ['--yes'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.equal(w.clusters(), [])
    assert.equal(w.containers(), ['kind-registry'])
    assert.equal(w.contexts(), ['prod-eks'])
    assert.is(w.currentContext(), 'prod-eks')
    assert.not.ok(fs.existsSync(w.stateDir), 'state dir removed')
    assert.ok(commandLines(w.f.calls('kind')).includes('kind delete cluster --name platform'))
    // the kept registry leaves the kind network, which came with the cluster and goes with it
    assert.equal(mutatingCalls(w), ['kind delete cluster --name platform', 'docker network disconnect kind kind-registry', 'docker network rm kind'])
    assert.equal(Object.keys(w.f.state().docker.containers['kind-registry'].NetworkSettings.Networks), ['bridge'])
    assert.equal(kubectlCallsWithoutContext(w.f, 'kind-platform'), [])
    assert.ok(w.f.calls('kubectl').length > 0)
    assert.match(r.stderr, 'kept: registry container "kind-registry"')
    assert.not.match(r.stdout + r.stderr, PASSWORD)
  } finally {
    w.cleanup()
  }
})

test('--yes --all: the registry and its data volume go too, and the kind network up created', async () => {
  const w = await kindWorld()
  try {
    w.f.clearCalls()
    const r = await runScript('down', ['--yes', '--all'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.equal(w.containers(), [])
    assert.ok(commandLines(w.f.calls('docker')).includes('docker rm -f -v kind-registry'))
    assert.not.ok('kind' in w.f.state().docker.networks, 'kind network removed')
    assert.ok('bridge' in w.f.state().docker.networks)
    assert.equal(w.contexts(), ['prod-eks'])
    assert.equal(kubectlCallsWithoutContext(w.f, 'kind-platform'), [])
  } finally {
    w.cleanup()
  }
})

test('a second down --yes succeeds and deletes nothing; --json says what was already gone', async () => {
  const w = await kindWorld()
  try {
    assert.is((await runScript('down', ['--yes'], { env: w.env })).code, 0)
    w.f.clearCalls()
    const r = await runScript('down', ['--yes', '--json'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.equal(mutatingCalls(w), [])
    const report = JSON.parse(r.stdout)
    assert.equal(report.deleted, [])
    assert.ok(report.removed.includes('cluster') && report.removed.includes('state'))
    assert.equal(report.alreadyAbsent, report.removed)
    assert.equal(report.kept, ['registry'])
    assert.equal(report.leftovers, [])
    assert.is(report.ok, true)
  } finally {
    w.cleanup()
  }
})

test('--dry-run prints what would go and changes nothing (no --yes needed)', async () => {
  const w = await kindWorld()
  try {
    const before = w.snapshot()
    w.f.clearCalls()
    const r = await runScript('down', ['--dry-run', '--all'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stdout, 'kind delete cluster --name platform')
    assert.match(r.stdout, 'remove registry container kind-registry')
    assert.match(r.stdout, 'nothing was deleted')
    assert.equal(mutatingCalls(w), [])
    assert.equal(w.snapshot(), before)
    const j = await runScript('down', ['--dry-run', '--json'], { env: w.env })
    const report = JSON.parse(j.stdout)
    assert.is(report.dryRun, true)
    assert.equal(report.items.filter((i: { result: string }) => i.result === 'would-delete').map((i: { id: string }) => i.id), ['cluster', 'state', 'credentials'])
    assert.ok(report.actions.every((a: { result: string }) => a.result === 'planned'))
    assert.equal(w.snapshot(), before)
  } finally {
    w.cleanup()
  }
})

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

test('--help exits 0 and touches nothing', async () => {
  const w = await kindWorld({ state: false })
  try {
    w.f.clearCalls()
    const r = await runScript('down', ['--help'], { env: w.env })
    assert.is(r.code, 0)
    assert.match(r.stdout, '--yes')
    assert.match(r.stdout, '--delete-registry')
    assert.equal(w.f.calls(), [])
  } finally {
    w.cleanup()
  }
})

test.run()
