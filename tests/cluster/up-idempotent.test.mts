// A converged platform: the second up makes only read-only calls. --dry-run plans without changing anything.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { isMutating, platformState, up, world } from './support.mts'

test('second up against a healthy cluster and registry: no create/run/delete/start/connect/exec-write/apply', async () => {
  const w = await world()
  try {
    const first = await up(w)
    assert.is(first.code, 0, first.stderr)
    const created = commandLines(w.calls().filter(isMutating))
    // the first run did the work (so the assertion below is not vacuous)
    for (const part of ['docker run', 'kind create cluster', 'docker network connect kind kind-registry', 'docker exec -i platform-worker2', 'kubectl --context kind-platform apply --server-side']) {
      assert.ok(created.some((l) => l.startsWith(part)), `${part} in ${created.join('\n')}`)
    }
    const state = platformState(w)
    assert.equal(state.registry, { name: 'kind-registry', image: 'registry:3.0.0', port: w.ports.registry, createdByUs: true })
    assert.equal({ ...state.cluster, configHash: undefined }, { name: 'platform', context: 'kind-platform', createdByUs: true, configHash: undefined })
    assert.match(state.cluster.configHash, /^[0-9a-f]{16}$/)
    assert.equal(state.ports, { registry: w.ports.registry, http: w.ports.http, https: w.ports.https, requested: w.ports })

    w.clearCalls()
    const second = await up(w, ['--json'])
    assert.is(second.code, 0, second.stderr)
    const calls = w.calls()
    assert.ok(calls.length > 5, 'the second run still observed everything')
    assert.equal(commandLines(calls.filter(isMutating)), [])
    const report = JSON.parse(second.stdout)
    assert.equal(report.changed, [])
    assert.equal(report.phases.map((p: { id: string; status: string }) => `${p.id}:${p.status}`).filter((s: string) => /^(preflight|ports|registry|cluster|wiring):/.test(s)),
      ['preflight:ok', 'ports:ok', 'registry:ok', 'cluster:ok', 'wiring:ok'])
    assert.match(report.phases.find((p: { id: string }) => p.id === 'wiring').note, 'up to date on 3 node(s)')
  } finally {
    w.cleanup()
  }
})

test('--dry-run on a fresh machine: prints the commands it would run, runs none of them, writes no state', async () => {
  const w = await world()
  try {
    const r = await up(w, ['--dry-run'])
    assert.is(r.code, 0, r.stderr)
    assert.equal(commandLines(w.calls().filter(isMutating)), [])
    for (const planned of ['[dry-run] docker run -d --restart=always --name kind-registry', '[dry-run] kind create cluster --name platform', '[dry-run] docker network connect kind kind-registry', '[dry-run] docker exec -i platform-worker2 sh -c', '[dry-run] kubectl --context kind-platform apply --server-side']) {
      assert.match(r.stderr, planned)
    }
    assert.is(platformState(w), undefined)
    // it says what it would do, never that it did; no empty progress lines
    assert.not.match(r.stderr, /\b(created|re-created|started) kind-registry|created platform|connected to the kind network|wrote hosts\.toml|published kube-public/)
    assert.match(r.stderr, /registry +ok .*would create kind-registry/)
    assert.match(r.stderr, /cluster +ok .*would create platform/)
    assert.not.match(r.stderr, /^\d\d:\d\d:\d\d .*: *$/m, 'an empty progress note')
    const last = r.stderr.trim().split('\n').at(-1)!
    assert.match(last, /; dry run: nothing was changed \(a real run would change: registry created, cluster created/)
    assert.not.match(last, /, changed:/)
  } finally {
    w.cleanup()
  }
})

test.run()
