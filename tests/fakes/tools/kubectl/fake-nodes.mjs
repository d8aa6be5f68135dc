// Plain fakes: a kind cluster's kube side follows its node containers in the fake docker state, as in the Docker
// tier (real-nodes.mjs) it follows the real ones. The API server answers only while <cluster>-control-plane runs
// (else kubectl's "The connection to the server 127.0.0.1:<port> was refused - did you specify the right host or
// port?"); a Node is Ready while its container runs, else Unknown ("Kubelet stopped posting node status.", as the
// node lifecycle controller marks it). A Node named in kube.stuck (kind Node) stays NotReady while running.
// Only clusters whose control-plane container the fake docker knows are touched: tests that set `reachable` by
// hand on a context without containers keep their setting.

export function nodeCondition(state, name, running) {
  const stuck = (state.kube?.stuck ?? []).find((s) => s.kind === 'Node' && s.name === name)
  if (!running) return { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }
  if (stuck) return { type: 'Ready', status: stuck.status ?? 'False', reason: stuck.reason ?? 'KubeletNotReady', message: stuck.message ?? 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized' }
  return { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
}

export function applyNodeStates(state, ctx, objects, running) {
  for (const o of objects) {
    if (o.kind !== 'Node') continue
    const ready = nodeCondition(state, o.metadata.name, running.get(o.metadata.name) === true)
    o.status = { ...o.status, conditions: [...(o.status?.conditions ?? []).filter((c) => c.type !== 'Ready'), ready] }
  }
}

export function syncWithFakeDocker(state, context, kube, objectsOf) {
  if (!context?.startsWith('kind-')) return
  const cluster = context.slice('kind-'.length)
  const ctx = kube(state).contexts[context]
  const containers = Object.values(state.docker?.containers ?? {}).filter((c) => c.Config?.Labels?.['io.x-k8s.kind.cluster'] === cluster)
  if (!ctx || !containers.some((c) => c.Name === `/${cluster}-control-plane`)) return
  const running = new Map(containers.map((c) => [c.Name.slice(1), c.State?.Running === true]))
  // only a stopped control plane is written down: a read-only kubectl leaves a running cluster's state as it was
  if (running.get(`${cluster}-control-plane`) === true) delete ctx.reachable
  else ctx.reachable = false
  applyNodeStates(state, ctx, objectsOf(state, context), running)
}
