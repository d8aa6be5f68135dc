// Docker tier (FAKE_DOCKER=real): a kind cluster's kube side follows its real node containers. The API server
// answers only while <cluster>-control-plane runs; each Node is Ready exactly while its container runs (else
// Unknown, as the node lifecycle controller marks a node whose kubelet stopped posting status; a Node named in
// kube.stuck stays NotReady while its container runs).
import { spawnSync } from 'node:child_process'
import { kube, objectsOf } from './store.mjs'
import { applyNodeStates } from './fake-nodes.mjs'

export function syncWithDocker(state, context) {
  if (!context?.startsWith('kind-')) return
  const cluster = context.slice('kind-'.length)
  const ctx = kube(state).contexts[context]
  if (!ctx || !state.kind?.clusters?.[cluster]) return
  const r = spawnSync('docker', ['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${cluster}`, '--format', '{{.Names}} {{.State}}'], { encoding: 'utf8' })
  if (r.status !== 0) return
  const running = new Map(r.stdout.split('\n').filter(Boolean).map((l) => { const [n, s] = l.split(' '); return [n, s === 'running'] }))
  // only a stopped control plane is written down: a read-only kubectl leaves a running cluster's state as it was
  if (running.get(`${cluster}-control-plane`) === true) delete ctx.reachable
  else ctx.reachable = false
  applyNodeStates(state, ctx, objectsOf(state, context), running)
}
