// The pure planner of down: what it offers, what it deletes for a choice, what it never touches, leftovers.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { defaultChoices, describeAction, findLeftovers, listItems, networkRemovable, planTeardown } from '../../scripts/lib/down/plan.mts'
import { recordInstalled } from '../../scripts/lib/down/installed.mts'
import type { Action, Observed } from '../../scripts/lib/down/types.mts'
import type { OwnedState } from '../../scripts/lib/shell/manifest.mts'
import type { PlatformState } from '../../scripts/lib/shell/state.mts'

const DIR = '/repo/.platform'
/** a state dir the suite created, holding only these files it recorded writing */
const owned = (files: string[], more: Partial<OwnedState> = {}): OwnedState => ({ source: 'manifest', files: files.map((f) => ({ path: f, keep: false })), dirs: ['.'], foreign: [], ...more })
const NONE: OwnedState = { source: 'none', files: [], dirs: [], foreign: [] }

function world(change: (o: Observed) => void = () => {}): Observed {
  const o: Observed = {
    provider: 'kind',
    context: 'kind-platform',
    contexts: ['kind-platform', 'prod-eks'],
    currentContext: 'prod-eks',
    kind: {
      clusterName: 'platform',
      clusters: ['platform'],
      nodes: ['platform-control-plane', 'platform-worker', 'platform-worker2'],
      registry: { name: 'kind-registry', status: 'ours', running: true, image: 'registry:2', hostPort: 5001, volumes: [{ name: 'a'.repeat(64), anonymous: true }], networks: ['bridge', 'kind'] },
      network: { name: 'kind', exists: true, createdByUs: true, members: ['platform-control-plane', 'platform-worker', 'platform-worker2', 'kind-registry'], clusters: ['platform'] },
    },
    local: {
      stateDir: DIR,
      stateExists: true,
      owned: owned(['forwards.json', 'grafana-admin-password', 'kind-config.yaml', 'state.json']),
      credentials: { file: `${DIR}/grafana-admin-password`, exists: true },
      forwards: [{ pid: 4242, what: 'grafana 127.0.0.1:3000', live: true, ours: true }],
    },
  }
  change(o)
  return o
}

const kinds = (actions: Action[]) => actions.map((a) => a.kind)
const yes = (o: Observed, opts = {}) => planTeardown(o, defaultChoices(listItems(o, opts)))

test('--yes deletes forwards, cluster, credentials and state, and keeps the registry (a cache)', () => {
  const o = world()
  const plan = yes(o)
  assert.equal(kinds(plan.actions), ['stop-forward', 'delete-cluster', 'delete-context', 'disconnect-registry', 'delete-network', 'delete-credentials', 'delete-state'])
  assert.equal(plan.entries.find((e) => e.item === 'registry')?.outcome, 'keep')
  assert.ok(plan.notes.some((n) => n.includes('registry "kind-registry" kept on 127.0.0.1:5001')))
  // the kept registry leaves the network up created, so it can go (and the next up sees it appear again)
  assert.equal(plan.actions.find((a) => a.kind === 'disconnect-registry'), { kind: 'disconnect-registry', item: 'cluster', name: 'kind-registry', network: 'kind' })
  const state = plan.actions.find((a) => a.kind === 'delete-state')
  // exactly the files the suite wrote (the password file has its own action), then the dir it created
  assert.equal(state, { kind: 'delete-state', item: 'state', dir: DIR, files: ['forwards.json', 'kind-config.yaml', 'state.json'], dirs: ['.'] })
})

test('--all also deletes the registry, and then the network up created (nobody else on it)', () => {
  const plan = yes(world(), { deleteRegistry: true })
  assert.equal(kinds(plan.actions), ['stop-forward', 'delete-cluster', 'delete-context', 'delete-registry', 'delete-network', 'delete-credentials', 'delete-state'])
  assert.match(describeAction(plan.actions.find((a) => a.kind === 'delete-registry')!), 'anonymous data volume')
})

test('the kind network stays while another kind cluster has nodes on it, a stranger is attached, or up did not create it', () => {
  const other = world((o) => { o.kind!.clusters.push('someone-else'); o.kind!.network.clusters.push('someone-else') })
  assert.not.ok(networkRemovable(other))
  assert.ok(yes(other, { deleteRegistry: true }).notes.some((n) => n.includes('other kind clusters are left alone: someone-else')))
  assert.ok(yes(other).notes.some((n) => n.includes('docker network "kind" kept: other kind clusters use it')))
  // a cluster on another network (KIND_EXPERIMENTAL_DOCKER_NETWORK) does not hold ours
  const elsewhere = world((o) => { o.kind!.clusters.push('on-another-network') })
  assert.ok(networkRemovable(elsewhere))
  assert.ok(yes(elsewhere).actions.some((a) => a.kind === 'delete-network'))
  const stranger = world((o) => { o.kind!.network.members.push('my-postgres') })
  assert.not.ok(networkRemovable(stranger))
  assert.ok(yes(stranger).notes.includes('docker network "kind" kept: other containers are attached: my-postgres'), yes(stranger).notes.join('\n'))
  const notOurs = world((o) => { o.kind!.network.createdByUs = false })
  assert.not.ok(networkRemovable(notOurs))
  assert.ok(networkRemovable(world()))
  for (const o of [other, stranger, notOurs]) assert.not.ok(yes(o).actions.some((a) => a.kind === 'disconnect-registry' || a.kind === 'delete-network'))
  // a foreign container with the registry's name is a stranger too
  assert.not.ok(networkRemovable(world((o) => { o.kind!.registry.status = 'foreign' })))
})

test('a same-name registry container without our label is never offered nor deleted, and is reported', () => {
  const o = world((w) => { w.kind!.registry.status = 'foreign' })
  const items = listItems(o, { deleteRegistry: true })
  assert.not.ok(items.find((i) => i.id === 'registry')!.choosable)
  const plan = planTeardown(o, { selected: items.map((i) => i.id) })
  assert.not.ok(plan.actions.some((a) => a.kind === 'delete-registry'))
  assert.ok(plan.notes.some((n) => n.includes('"kind-registry" has no label dev.platform.role=registry')))
})

test('only the exact cluster name: another cluster with a similar name is not ours', () => {
  const o = world((w) => { w.kind!.clusters = ['platform-2', 'my-platform']; w.kind!.nodes = [] })
  const plan = yes(o)
  assert.not.ok(plan.actions.some((a) => a.kind === 'delete-cluster'))
  assert.equal(plan.entries.find((e) => e.item === 'cluster')?.outcome, 'absent')
})

test('everything already gone: no actions, and the parts count as absent (removed)', () => {
  const o = world((w) => {
    w.contexts = ['prod-eks']
    w.kind!.clusters = []
    w.kind!.nodes = []
    w.kind!.registry = { name: 'kind-registry', status: 'absent', volumes: [], networks: [] }
    w.kind!.network = { name: 'kind', exists: false, createdByUs: true, members: [], clusters: [] }
    w.local = { stateDir: DIR, stateExists: false, owned: NONE, forwards: [] }
  })
  const plan = yes(o, { deleteRegistry: true })
  assert.equal(plan.actions, [])
  assert.equal(plan.entries.map((e) => [e.item, e.outcome]), [['cluster', 'absent'], ['registry', 'absent'], ['state', 'absent']])
})

test('a stale kube context (cluster gone) is its own choice; with the cluster it is not', () => {
  const stale = world((w) => { w.kind!.clusters = []; w.kind!.nodes = [] })
  const items = listItems(stale)
  assert.ok(items.find((i) => i.id === 'context')!.choosable)
  assert.equal(kinds(planTeardown(stale, { selected: ['context'] }).actions), ['delete-context'])
  assert.equal(kinds(yes(stale).actions).filter((k) => k === 'delete-context'), ['delete-context'])
  assert.not.ok(listItems(world()).find((i) => i.id === 'context')!.choosable)
})

test('choosing only some items deletes only those; kept local state forgets what was deleted', () => {
  const o = world()
  const plan = planTeardown(o, { selected: ['cluster'] })
  assert.equal(kinds(plan.actions), ['delete-cluster', 'delete-context', 'disconnect-registry', 'delete-network', 'update-state'])
  const upd = plan.actions.at(-1) as Extract<Action, { kind: 'update-state' }>
  assert.equal(upd.forget, ['cluster', 'installed'])
  assert.equal(upd.dropForwards, [])
  assert.equal(plan.entries.filter((e) => e.outcome === 'keep').map((e) => e.item).sort(), ['credentials', 'forwards', 'registry', 'state'])

  const onlyState = planTeardown(o, { selected: ['state'] })
  const del = onlyState.actions.find((a) => a.kind === 'delete-state') as Extract<Action, { kind: 'delete-state' }>
  // the kept password file survives (it keeps the dir too: rmdir only removes an empty one)
  assert.equal(del, { kind: 'delete-state', item: 'state', dir: DIR, files: ['forwards.json', 'kind-config.yaml', 'state.json'], dirs: ['.'] })
  assert.not.ok(onlyState.actions.some((a) => a.kind === 'delete-cluster' || a.kind === 'stop-forward'))
})

test('nothing selected: nothing to do', () => {
  assert.equal(planTeardown(world(), { selected: [] }).actions, [])
})

test('port-forwards: only live ones whose command is still a port-forward are stopped; dead ones are dropped', () => {
  const o = world((w) => {
    w.local.forwards = [
      { pid: 11, what: 'grafana', live: true, ours: true },
      { pid: 12, what: 'prometheus', live: false, ours: false },
      { pid: 13, what: 'demo', live: true, ours: false },
    ]
  })
  const plan = planTeardown(o, { selected: ['forwards'] })
  assert.equal(plan.actions.filter((a) => a.kind === 'stop-forward').map((a) => (a as { pid: number }).pid), [11])
  assert.ok(plan.notes.some((n) => n.includes('pid 13') && n.includes('no longer a port-forward')))
  const upd = plan.actions.find((a) => a.kind === 'update-state') as Extract<Action, { kind: 'update-state' }>
  assert.equal(upd.dropForwards.sort(), [11, 12])
})

test('a state dir the suite did not create: only the files it wrote go, the rest and the dir stay, and it says so', () => {
  const o = world((w) => { w.local.owned = owned(['grafana-admin-password', 'last-run.json', 'state.json'], { dirs: [], foreign: ['Documents', 'notes.txt'] }) })
  const items = listItems(o)
  assert.not.match(items.find((i) => i.id === 'state')!.detail, 'Documents')
  const plan = yes(o)
  const del = plan.actions.find((a) => a.kind === 'delete-state') as Extract<Action, { kind: 'delete-state' }>
  assert.equal(del.files, ['last-run.json', 'state.json'])
  assert.equal(del.dirs, [])
  assert.ok(plan.notes.some((n) => n.includes('files the suite did not write, left alone: Documents, notes.txt')), plan.notes.join('\n'))
  assert.ok(plan.notes.some((n) => n.includes('itself is kept: the suite did not create it')))
  assert.match(describeAction(del), 'delete last-run.json, state.json in /repo/.platform')
})

test('files recorded as kept (a local CA, caches) stay with a plain down and go with --all', () => {
  const o = world((w) => { w.local.owned = owned(['state.json'], { files: [{ path: 'ca/ca.key', keep: true }, { path: 'state.json', keep: false }], dirs: ['ca', '.'] }) })
  const plain = yes(o)
  const del = plain.actions.find((a) => a.kind === 'delete-state') as Extract<Action, { kind: 'delete-state' }>
  assert.equal(del.files, ['state.json'])
  assert.equal(plain.entries.find((e) => e.item === 'kept')?.outcome, 'keep')
  const all = yes(o, { deleteRegistry: true })
  assert.equal((all.actions.find((a) => a.kind === 'delete-state') as Extract<Action, { kind: 'delete-state' }>).files, ['ca/ca.key', 'state.json'])
  // only the kept files, chosen on their own: the state and its dirs stay
  const onlyKept = planTeardown(o, { selected: ['kept'] }).actions.find((a) => a.kind === 'delete-state') as Extract<Action, { kind: 'delete-state' }>
  assert.equal(onlyKept, { kind: 'delete-state', item: 'kept', dir: DIR, files: ['ca/ca.key'], dirs: [] })
})

test('existing-cluster mode: only what up recorded, system namespaces never, cluster and registry not at all', () => {
  const o: Observed = {
    provider: 'existing',
    context: 'staging',
    contexts: ['staging'],
    currentContext: 'staging',
    existing: {
      flux: { recorded: true, present: true },
      helmReleases: [{ name: 'metrics-server', namespace: 'kube-system', present: true }, { name: 'gone', namespace: 'x', present: false }],
      namespaces: [{ name: 'demo-dev', present: true }, { name: 'kube-system', present: true }],
    },
    local: { stateDir: DIR, stateExists: false, owned: NONE, forwards: [] },
  }
  const items = listItems(o, { deleteRegistry: true })
  assert.equal(items.map((i) => i.id), ['forwards', 'flux', 'helm:kube-system/metrics-server', 'helm:x/gone', 'namespace:demo-dev', 'state', 'credentials'])
  const plan = planTeardown(o, defaultChoices(items))
  assert.equal(plan.actions.map((a) => `${a.kind}${'name' in a ? ` ${a.name}` : ''}`), ['flux-prune', 'flux-uninstall', 'helm-uninstall metrics-server', 'delete-namespace demo-dev'])
  for (const a of plan.actions) assert.is((a as { context: string }).context, 'staging')
  assert.ok(plan.notes.some((n) => n.includes('kube-system') && n.includes('never deleted')))
  assert.equal(planTeardown(o, { selected: ['namespace:demo-dev'] }).actions.map((a) => a.kind), ['delete-namespace'])
})

test('leftovers: what was to go but is still there; kept things are not leftovers', () => {
  const before = world()
  const plan = yes(before, { deleteRegistry: true })
  const gone = world((w) => {
    w.contexts = ['prod-eks']
    w.kind!.clusters = []
    w.kind!.nodes = []
    w.kind!.registry = { name: 'kind-registry', status: 'absent', volumes: [], networks: [] }
    w.kind!.network = { name: 'kind', exists: false, createdByUs: true, members: [], clusters: [] }
    w.local = { stateDir: DIR, stateExists: false, owned: NONE, forwards: [] }
  })
  assert.equal(findLeftovers({ plan, before, after: gone, stillRunning: [] }), [])
  assert.equal(findLeftovers({ plan, before, after: before, stillRunning: [4242] }), [
    'port-forward grafana 127.0.0.1:3000 (pid 4242) still running',
    'kind cluster platform',
    'docker network kind (created by up, unused)',
    'kube context kind-platform',
    'registry container kind-registry',
    'local state in /repo/.platform: forwards.json, kind-config.yaml, state.json',
    'credentials file /repo/.platform/grafana-admin-password',
  ])
  const halfCluster = world((w) => { w.kind!.clusters = []; w.contexts = ['prod-eks']; w.kind!.network.members = [] })
  assert.ok(findLeftovers({ plan, before, after: halfCluster, stillRunning: [] }).some((l) => l.startsWith('node containers of kind cluster platform')))
  // the cluster and registry are gone, nobody is on the network up created: it should have gone too
  assert.ok(findLeftovers({ plan, before, after: halfCluster, stillRunning: [] }).includes('docker network kind (created by up, unused)'))
  const keepRegistry = yes(before)
  const afterKeep = world((w) => { w.contexts = ['prod-eks']; w.kind!.clusters = []; w.kind!.nodes = []; w.local = gone.local; w.kind!.network = { name: 'kind', exists: false, createdByUs: true, members: [], clusters: [] } })
  assert.equal(findLeftovers({ plan: keepRegistry, before, after: afterKeep, stillRunning: [] }), [])
  // the registry could not be disconnected: the network that was to go is still there
  const stuck = world((w) => { w.contexts = ['prod-eks']; w.kind!.clusters = []; w.kind!.nodes = []; w.local = gone.local; w.kind!.network.members = ['kind-registry'] })
  assert.equal(findLeftovers({ plan: keepRegistry, before, after: stuck, stillRunning: [] }), ['docker network kind (created by up, unused)'])
})

test('recordInstalled: what up puts in state for down, without duplicates', () => {
  const s: PlatformState = { version: 1 }
  recordInstalled(s, { namespace: 'demo-dev' })
  recordInstalled(s, { namespace: 'demo-dev' })
  recordInstalled(s, { helmRelease: { name: 'metrics-server', namespace: 'kube-system' } })
  recordInstalled(s, { helmRelease: { name: 'metrics-server', namespace: 'kube-system' } })
  recordInstalled(s, { flux: true })
  assert.equal(s.installed, { helmReleases: [{ name: 'metrics-server', namespace: 'kube-system' }], namespaces: ['demo-dev'], flux: true })
})

test.run()
