// What the Docker-tier tests of down share (the sweep's test too): a platform with nodes and a registry, and what
// the engine holds.
import * as assert from 'uvu/assert'
import type { World } from './tier.mts'

export const CLUSTER_LAYER = ['--only', 'ports,registry,cluster,wiring']

export const exists = (w: World, kind: 'container' | 'network' | 'volume' | 'image', name: string) => w.docker([kind, 'inspect', name]).status === 0
export const nodes = (w: World) => w.docker(['ps', '-a', '-q', '--filter', `label=io.x-k8s.kind.cluster=${w.names.cluster}`]).stdout.split('\n').filter(Boolean)

/** Volumes of the world's containers right now: node /var volumes and the registry's. */
export function volumesOf(w: World): { nodes: string[]; registry: string[] } {
  const mounts = (names: string[]) => names.length
    ? (JSON.parse(w.docker(['inspect', '--type', 'container', ...names]).stdout) as { Mounts: { Type: string; Name: string }[] }[]).flatMap((c) => c.Mounts.filter((m) => m.Type === 'volume').map((m) => m.Name))
    : []
  return { nodes: mounts(nodes(w)), registry: mounts([w.names.registry]) }
}

/** up's cluster layer; the world then has 2 node volumes and the registry's one. */
export async function platform(w: World): Promise<{ nodes: string[]; registry: string[] }> {
  const r = await w.up(CLUSTER_LAYER)
  assert.is(r.code, 0, r.stderr)
  const v = volumesOf(w)
  assert.is(v.nodes.length, 2)
  assert.is(v.registry.length, 1)
  return v
}
