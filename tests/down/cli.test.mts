// `down` as a user runs it without a terminal, against the stateful fake docker/kind/kubectl.
import fs from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { kindWorld, kubectlCallsWithoutContext, mutatingCalls, PASSWORD } from './world.mts'

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
    assert.is(w.volumes().length, 1, 'the kept registry keeps its cache volume')
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
    // the registry container carries the image's anonymous volume, as docker run made it
    const [volume] = w.volumes()
    assert.match(volume ?? '', /^[0-9a-f]{64}$/)
    assert.is(JSON.parse(w.cli('docker', ['inspect', 'kind-registry']))[0].Mounts[0].Destination, '/var/lib/registry')
    w.f.clearCalls()
    const r = await runScript('down', ['--yes', '--all'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.equal(w.containers(), [])
    assert.ok(commandLines(w.f.calls('docker')).includes('docker rm -f -v kind-registry'))
    assert.equal(w.volumes(), [], 'the anonymous cache volume went with the container')
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
    assert.match(r.stdout, 'remove registry container kind-registry and its anonymous data volume')
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
