// Docker tier (FAKE_DOCKER=real): a kind cluster's kube side follows its real node containers. The API server
// answers only while <cluster>-control-plane runs; each Node is Ready exactly while its container runs (else
// Unknown, as the node lifecycle controller marks a node whose kubelet stopped posting status).
import { spawnSync } from 'node:child_process'
import { kube, objectsOf } from './store.mjs'

export function syncWithDocker(state, context) {
  if (!context?.startsWith('kind-')) return
  const cluster = context.slice('kind-'.length)
  const ctx = kube(state).contexts[context]
  if (!ctx || !state.kind?.clusters?.[cluster]) return
  const r = spawnSync('docker', ['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${cluster}`, '--format', '{{.Names}} {{.State}}'], { encoding: 'utf8' })
  if (r.status !== 0) return
  const running = new Map(r.stdout.split('\n').filter(Boolean).map((l) => { const [n, s] = l.split(' '); return [n, s === 'running'] }))
  ctx.reachable = running.get(`${cluster}-control-plane`) === true
  for (const o of objectsOf(state, context)) {
    if (o.kind !== 'Node') continue
    const up = running.get(o.metadata.name) === true
    const ready = up
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
      : { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }
    o.status = { ...o.status, conditions: [...(o.status?.conditions ?? []).filter((c) => c.type !== 'Ready'), ready] }
  }
}
