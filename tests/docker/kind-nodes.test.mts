// kind's nodes on a real engine after creation: the kube side follows the real containers (a stopped node is not
// Ready, a stopped control plane does not answer), a node removed behind kind's back is gone for kind, and
// `kind delete cluster` removes the nodes with their volumes and keeps the network.
import { spawnSync } from 'node:child_process'
import * as assert from 'uvu/assert'
import { dockerTier, type World } from './tier.mts'

const tier = dockerTier('node')

interface Inspect { Mounts: { Type: string; Name: string }[] }
const inspectAll = (w: World, names: string[]): Inspect[] => JSON.parse(w.docker(['inspect', '--type', 'container', ...names]).stdout) as Inspect[]
const nodesOf = (w: World) => w.docker(['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${w.names.cluster}`, '--format', '{{.Names}}']).stdout.split('\n').filter(Boolean).sort()
const tool = (w: World, bin: string, args: string[]) => spawnSync(bin, args, { env: w.env, encoding: 'utf8' })

// one cluster: the first test stops and starts its nodes (leaving them running), the second deletes it
const cluster = tier.shared({}, async (w) => {
  const r = await w.up(['--only', 'ports,cluster'])
  assert.is(r.code, 0, r.stderr)
})

tier.test('the kube side follows the real nodes: a stopped worker is not Ready, a stopped control plane does not answer', async () => {
  const w = await cluster()
  const c = w.names.cluster
  const ctx = ['--context', `kind-${c}`]
  const ready = () => Object.fromEntries((JSON.parse(tool(w, 'kubectl', [...ctx, 'get', 'nodes', '-o', 'json']).stdout) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] }).items
    .map((n) => [n.metadata.name, n.status.conditions.find((x) => x.type === 'Ready')!.status]))
  assert.equal(ready(), { [`${c}-control-plane`]: 'True', [`${c}-worker`]: 'True' })
  assert.is(w.docker(['stop', `${c}-worker`]).status, 0)
  assert.equal(ready(), { [`${c}-control-plane`]: 'True', [`${c}-worker`]: 'Unknown' })
  assert.is(w.docker(['stop', `${c}-control-plane`]).status, 0)
  const down = tool(w, 'kubectl', [...ctx, 'cluster-info'])
  assert.is.not(down.status, 0)
  assert.match(down.stderr, 'was refused')
  assert.is(w.docker(['start', `${c}-control-plane`, `${c}-worker`]).status, 0)
  assert.is(tool(w, 'kubectl', [...ctx, 'cluster-info']).status, 0)
  assert.equal(ready(), { [`${c}-control-plane`]: 'True', [`${c}-worker`]: 'True' })
})

tier.test('kind delete cluster removes the node containers with their volumes and keeps the network (kind never removes it)', async () => {
  const w = await cluster()
  const vols = inspectAll(w, nodesOf(w)).flatMap((n) => n.Mounts.filter((m) => m.Type === 'volume').map((m) => m.Name))
  assert.ok(vols.length >= 2)
  // a node removed behind kind's back is gone for kind too (the labels are the truth)
  const c = w.names.cluster
  assert.is(w.docker(['rm', '-f', '-v', `${c}-worker`]).status, 0)
  assert.equal(tool(w, 'kind', ['get', 'nodes', '--name', c]).stdout.split('\n').filter(Boolean), [`${c}-control-plane`])
  const d = tool(w, 'kind', ['delete', 'cluster', '--name', w.names.cluster])
  assert.is(d.status, 0, d.stderr)
  assert.match(d.stderr, `Deleting cluster "${w.names.cluster}" ...`)
  assert.equal(nodesOf(w), [])
  for (const v of vols) assert.is.not(w.docker(['volume', 'inspect', v]).status, 0, `volume ${v} removed with its node`)
  assert.is(w.docker(['network', 'inspect', w.names.network]).status, 0)
})

tier.run()
