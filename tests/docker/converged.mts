// What "a converged platform" means on the Docker tier, checked on the real engine: every node container runs
// and its Node is Ready, the registry runs, sits on the kind network and answers by name from every node, and
// every node holds hosts.toml for both registry hosts. Also: what a second up must not do.
import { spawnSync } from 'node:child_process'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { mutatingLines } from '../cluster/support.mts'
import type { World } from './tier.mts'

export const CLUSTER_LAYER = ['--only', 'ports,registry,cluster,wiring']

export const nodeStates = (w: World): Record<string, string> => Object.fromEntries(w.docker(['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${w.names.cluster}`, '--format', '{{.Names}} {{.State}}']).stdout
  .split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]))

export function nodeReadiness(w: World): Record<string, string> {
  const r = spawnSync('kubectl', ['--context', `kind-${w.names.cluster}`, 'get', 'nodes', '-o', 'json'], { env: w.env, encoding: 'utf8' })
  assert.is(r.status, 0, `kubectl get nodes: ${r.stderr}`)
  return Object.fromEntries((JSON.parse(r.stdout) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] }).items
    .map((n) => [n.metadata.name, n.status.conditions.find((c) => c.type === 'Ready')?.status ?? 'missing']))
}

export function assertConverged(w: World, nodes: number): void {
  const states = nodeStates(w)
  assert.is(Object.keys(states).length, nodes, JSON.stringify(states))
  for (const [n, s] of Object.entries(states)) assert.is(s, 'running', `node ${n}`)
  for (const [n, s] of Object.entries(nodeReadiness(w))) assert.is(s, 'True', `Node ${n} Ready`)
  const reg = w.names.registry
  const c = (JSON.parse(w.docker(['inspect', '--type', 'container', reg]).stdout) as { State: { Running: boolean }; NetworkSettings: { Networks: Record<string, unknown> } }[])[0]!
  assert.is(c.State.Running, true, 'registry running')
  assert.ok(w.names.network in c.NetworkSettings.Networks, 'registry on the kind network')
  for (const node of Object.keys(states)) {
    // busybox 1.35's wget -T crashes: `timeout` bounds it
    const get = w.docker(['exec', node, 'timeout', '20', 'wget', '-q', '-O', '-', `http://${reg}:5000/v2/`])
    assert.is(get.status, 0, `${node} reaches ${reg}:5000 by name: ${get.stderr}`)
    for (const host of [`localhost:${w.ports.registry}`, `${reg}:5000`]) {
      const f = w.docker(['exec', node, 'cat', `/etc/containerd/certs.d/${host}/hosts.toml`])
      assert.is(f.stdout, `[host."http://${reg}:5000"]\n`, `${node}: ${host}/hosts.toml`)
    }
  }
}

/** A second up on a converged platform: exit 0, no mutating call, nothing reported healed. */
export async function assertSecondUpChangesNothing(w: World): Promise<void> {
  w.clearCalls()
  const r = await w.up([...CLUSTER_LAYER, '--json'])
  assert.is(r.code, 0, r.stderr)
  assert.equal(mutatingLines(w.calls()), [])
  const report = JSON.parse(r.stdout) as { healed: string[]; changed: string[] }
  assert.equal(report.healed, [])
  assert.equal(report.changed, [])
}

export const dockerStarts = (w: World) => commandLines(w.calls('docker')).filter((l) => l.startsWith('docker start '))
