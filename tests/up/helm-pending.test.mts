// A Helm release left pending-install|pending-upgrade|pending-rollback by a helm that died blocks every later
// `helm upgrade` ("another operation (install/upgrade/rollback) is in progress"). up recovers it after saying
// so, or stops with the command to run when the operation may still be going on.
import { spawnSync } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseHelmTime, planPendingRecovery, type PendingInput } from '../../scripts/lib/helm/pending.mts'
import type { HelmHistoryEntry } from '../../scripts/lib/tools/helm.mts'
import { runScript } from '../helpers/proc.mts'
import { clusterWorld, isMutating, line } from './world.mts'

const MIN = 60_000
const NOW = Date.parse('2026-03-01T12:00:00Z')
const h = (revision: number, status: string, minutesAgo: number): HelmHistoryEntry => ({ revision, status, updated: new Date(NOW - minutesAgo * MIN).toISOString(), chart: 'metrics-server-3.13.0', app_version: '0.8.0', description: '' })
const input = (history: HelmHistoryEntry[], o: Partial<PendingInput> = {}): PendingInput => {
  const last = history.at(-1)!
  return { name: 'metrics-server', namespace: 'kube-system', context: 'kind-platform', now: NOW, quietMs: 5 * MIN, history,
    current: { name: 'metrics-server', namespace: 'kube-system', revision: String(last.revision), updated: '', status: last.status, chart: last.chart, app_version: '' }, ...o }
}

test('helm timestamps: RFC 3339 from history, Go time.String() from list, nanoseconds and zones', () => {
  assert.is(parseHelmTime('2026-03-01T12:00:00.123456789+02:00'), Date.parse('2026-03-01T10:00:00.123Z'))
  assert.is(parseHelmTime('2026-03-01T12:00:00Z'), Date.parse('2026-03-01T12:00:00Z'))
  assert.is(parseHelmTime('2026-03-01 12:00:00.123456789 +0200 CEST'), Date.parse('2026-03-01T10:00:00.123Z'))
  assert.is(parseHelmTime('2026-03-01 12:00:00 +0000 UTC'), Date.parse('2026-03-01T12:00:00Z'))
  assert.is(parseHelmTime(''), undefined)
  assert.is(parseHelmTime('yesterday'), undefined)
})

test('plan: stale pending-upgrade -> roll back to the last deployed revision; pending-install -> uninstall; not pending -> nothing', () => {
  const up = planPendingRecovery(input([h(1, 'superseded', 90), h(2, 'deployed', 60), h(3, 'failed', 50), h(4, 'pending-upgrade', 30)]))!
  assert.equal([up.action, up.action === 'rollback' && up.revision], ['rollback', 2])
  assert.is(up.command, 'helm rollback metrics-server 2 --namespace kube-system --kube-context kind-platform')
  assert.match(up.reason, 'kube-system/metrics-server is pending-upgrade (revision 4, left 30m ago')
  const rb = planPendingRecovery(input([h(1, 'deployed', 90), h(2, 'pending-rollback', 20)]))!
  assert.equal([rb.action, rb.action === 'rollback' && rb.revision], ['rollback', 1])
  const inst = planPendingRecovery(input([h(1, 'pending-install', 20)]))!
  assert.is(inst.action, 'uninstall')
  assert.is(inst.command, 'helm uninstall metrics-server --namespace kube-system --kube-context kind-platform')
  assert.is(planPendingRecovery(input([h(1, 'deployed', 20)])), undefined)
  assert.is(planPendingRecovery(input([h(1, 'failed', 20)])), undefined)
})

test('plan: unsafe cases stop with the command to run (young pending, unknown age, nothing deployed to return to)', () => {
  const young = planPendingRecovery(input([h(1, 'deployed', 60), h(2, 'pending-upgrade', 2)]))!
  assert.is(young.action, 'stop')
  assert.match(young.reason, 'started 2m ago): a helm or Flux operation may still be running on it (it gets 5m)')
  assert.is(young.command, 'helm rollback metrics-server 1 --namespace kube-system --kube-context kind-platform')
  const future = planPendingRecovery(input([h(1, 'deployed', 60), h(2, 'pending-upgrade', -10)]))!
  assert.is(future.action, 'stop', 'a revision dated after now (clock skew) may be running')
  const unknown = planPendingRecovery(input([h(1, 'deployed', 60), { ...h(2, 'pending-upgrade', 30), updated: '' }]))!
  assert.is(unknown.action, 'stop')
  assert.match(unknown.reason, 'at an unknown time')
  const nothing = planPendingRecovery(input([h(1, 'superseded', 90), h(2, 'failed', 60), h(3, 'pending-upgrade', 30)]))!
  assert.is(nothing.action, 'stop')
  assert.match(nothing.reason, 'no deployed revision to return to')
  assert.match(nothing.command, 'helm history metrics-server --namespace kube-system --kube-context kind-platform, then helm rollback metrics-server <REVISION>')
})

// a release as the fake helm stores it: the latest revision plus its history (helm list's time format)
const goTime = (iso: string) => `${iso.replace('T', ' ').replace('Z', '')} +0000 UTC`
function seeded(statuses: string[], updated = '2025-06-01T08:00:00.000Z') {
  const history = statuses.map((status, i) => ({ revision: i + 1, updated: goTime(updated), status, chart: 'metrics-server-3.12.0', app_version: '0.7.0', description: '', values: { old: true } }))
  const last = history.at(-1)!
  return { 'kind-platform': { 'kube-system/metrics-server': { name: 'metrics-server', namespace: 'kube-system', ...last, history } } }
}
const world = (statuses: string[], updated?: string) => clusterWorld({}, { helm: { version: 'v3.19.0', releases: seeded(statuses, updated) } })
const release = (f: ReturnType<typeof clusterWorld>) => f.state().helm.releases['kind-platform']['kube-system/metrics-server']

test('fake helm: upgrade of a pending release fails with Helm\'s errPending text; rollback and history work on it', () => {
  const f = world(['deployed', 'pending-upgrade'])
  try {
    const helm = (...a: string[]) => spawnSync('helm', [...a, '--kube-context', 'kind-platform'], { env: f.env, encoding: 'utf8' })
    const up = helm('upgrade', '--install', 'metrics-server', 'metrics-server', '--repo', 'https://kubernetes-sigs.github.io/metrics-server/', '--namespace', 'kube-system', '--wait', '--atomic')
    assert.is(up.status, 1)
    assert.is(up.stderr, 'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n')
    const hist = JSON.parse(helm('history', 'metrics-server', '--namespace', 'kube-system', '--output', 'json').stdout)
    assert.equal(hist.map((x: HelmHistoryEntry) => [x.revision, x.status]), [[1, 'deployed'], [2, 'pending-upgrade']])
    assert.is(hist[0].updated, '2025-06-01T08:00:00.000Z')
    const rb = helm('rollback', 'metrics-server', '1', '--namespace', 'kube-system', '--wait')
    assert.is(rb.stdout, 'Rollback was a success! Happy Helming!\n')
    assert.equal([release(f).revision, release(f).status], [3, 'deployed'])
    assert.equal(release(f).history.map((x: HelmHistoryEntry) => x.status), ['superseded', 'superseded', 'deployed'])
  } finally {
    f.cleanup()
  }
})

test('up: a stale pending-upgrade is rolled back (warned, with the command) and then upgraded; the re-run is quiet', async () => {
  const f = world(['deployed', 'pending-upgrade'])
  try {
    const r = await runScript('up', ['--only', 'addons'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /helm release kube-system\/metrics-server is pending-upgrade \(revision 2, left \d+[smh] ago by an operation that never finished\)[^\n]*roll back to revision 1: helm rollback metrics-server 1 --namespace kube-system --kube-context kind-platform/)
    const helm = f.calls('helm').filter(isMutating).map(line)
    assert.is(helm.length, 2, helm.join('\n'))
    assert.match(helm[0]!, /^helm rollback metrics-server 1 --namespace kube-system --wait --timeout \d+s --kube-context kind-platform$/)
    assert.match(helm[1]!, /^helm upgrade --install metrics-server /)
    assert.equal([release(f).status, release(f).revision, release(f).chart], ['deployed', 4, 'metrics-server-3.13.0'])
    f.clearCalls()
    const again = await runScript('up', ['--only', 'addons'], { env: f.env })
    assert.is(again.code, 0, again.stderr)
    assert.equal(f.calls('helm').filter(isMutating).map(line), [])
  } finally {
    f.cleanup()
  }
})

test('up: a stale pending-install is uninstalled and installed again', async () => {
  const f = world(['pending-install'])
  try {
    const r = await runScript('up', ['--only', 'addons'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /kube-system\/metrics-server is pending-install \(revision 1, [^\n]*nothing of it ever worked; uninstall it and install again: helm uninstall metrics-server --namespace kube-system --kube-context kind-platform/)
    const helm = f.calls('helm').filter(isMutating).map(line)
    assert.match(helm[0]!, /^helm uninstall metrics-server --namespace kube-system /)
    assert.match(helm[1]!, /^helm upgrade --install metrics-server /)
    assert.equal([release(f).status, release(f).revision], ['deployed', 1])
  } finally {
    f.cleanup()
  }
})

test('up --dry-run: says what it would do with a pending release and changes nothing', async () => {
  const f = world(['deployed', 'pending-upgrade'])
  try {
    const before = JSON.stringify(f.state().helm)
    const r = await runScript('up', ['--only', 'addons', '--dry-run'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, 'would roll back to revision 1: helm rollback metrics-server 1')
    assert.not.match(r.stderr, / rolling back| rolled back to/)
    assert.equal(f.calls().filter(isMutating).map(line), [])
    assert.is(JSON.stringify(f.state().helm), before)
  } finally {
    f.cleanup()
  }
})

test('up: a pending revision that may still be running (dated now or later) stops up with exit 4 and the command', async () => {
  const f = world(['deployed', 'pending-upgrade'], '2999-01-01T00:00:00.000Z')
  try {
    const r = await runScript('up', ['--only', 'addons'], { env: f.env })
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, 'kube-system/metrics-server is pending-upgrade (revision 2, started')
    assert.match(r.stderr, 'may still be running')
    assert.match(r.stderr, 'if nothing is working on it: helm rollback metrics-server 1 --namespace kube-system --kube-context kind-platform')
    assert.equal(f.calls('helm').filter(isMutating).map(line), [])
  } finally {
    f.cleanup()
  }
})

test('fake helm --atomic failures use Helm v3\'s words: rolled back / uninstalled "due to atomic being set"', () => {
  const f = clusterWorld({}, { helm: { version: 'v3.19.0', releases: seeded(['deployed']), failing: ['metrics-server', 'fresh'] } })
  try {
    const helm = (...a: string[]) => spawnSync('helm', [...a, '--namespace', 'kube-system', '--wait', '--kube-context', 'kind-platform'], { env: f.env, encoding: 'utf8' })
    const upg = helm('upgrade', '--install', 'metrics-server', 'metrics-server', '--atomic')
    assert.is(upg.stderr, 'Error: UPGRADE FAILED: release metrics-server failed, and has been rolled back due to atomic being set: context deadline exceeded\n')
    assert.equal(release(f).history.map((x: HelmHistoryEntry) => x.status), ['superseded', 'failed', 'deployed'])
    const inst = helm('upgrade', '--install', 'fresh', 'fresh', '--atomic')
    assert.is(inst.stdout, 'Release "fresh" does not exist. Installing it now.\n')
    assert.is(inst.stderr, 'Error: release fresh failed, and has been uninstalled due to atomic being set: context deadline exceeded\n')
    assert.is(helm('upgrade', '--install', 'fresh', 'fresh', '--rollback-on-failure').stderr, 'Error: unknown flag: --rollback-on-failure\n', 'a Helm 4 flag on helm v3')
  } finally {
    f.cleanup()
  }
})

test.run()
