// What `status` says about a platform that stopped: each node's container state and Ready condition, whether the
// registry sits on the kind network, and that `up` heals it. Pure.

export interface NodeRow {
  name: string
  /** the node container's state: running, exited, created, paused, ... */
  container: string
  /** the Node's Ready condition: True, False, Unknown, or '' when the API server did not answer */
  ready: string
}

export interface HealView {
  nodes: NodeRow[]
  /** one line each: what is stopped or unhealthy; empty when nothing is */
  problems: string[]
}

export function healView(input: {
  containers: { name: string; state: string }[]
  readiness?: { name: string; ready: string }[]
  registry?: { name: string; exists: boolean; running: boolean; networks: string[] }
  network: string
}): HealView {
  const nodes = [...input.containers].sort((a, b) => a.name.localeCompare(b.name)).filter((c) => !c.name.endsWith('-external-load-balancer'))
    .map((c): NodeRow => ({ name: c.name, container: c.state, ready: input.readiness?.find((r) => r.name === c.name)?.ready ?? '' }))
  const problems: string[] = []
  const stopped = nodes.filter((n) => n.container !== 'running')
  if (stopped.length) problems.push(`stopped node container${stopped.length === 1 ? '' : 's'}: ${stopped.map((n) => `${n.name} (${n.container})`).join(', ')}`)
  const unhealthy = input.readiness ? nodes.filter((n) => n.container === 'running' && n.ready !== 'True') : []
  if (unhealthy.length) problems.push(`node${unhealthy.length === 1 ? '' : 's'} not Ready: ${unhealthy.map((n) => `${n.name} (Ready=${n.ready || 'missing'})`).join(', ')}`)
  const reg = input.registry
  if (reg?.exists && !reg.networks.includes(input.network)) problems.push(`registry ${reg.name} is not on the ${input.network} network (nodes cannot pull from it)`)
  return { nodes, problems }
}

export function renderHeal(v: HealView): string[] {
  const out = v.nodes.length ? [`nodes     ${v.nodes.map((n) => `${n.name} ${n.container}${n.ready ? `, Ready=${n.ready}` : ''}`).join('; ')}`] : []
  if (v.problems.length) out.push(...v.problems.map((p) => `⚠ ${p}`), '  `npx zx scripts/up.mts` heals this: it starts stopped nodes and the registry, waits until the nodes are Ready and re-connects the registry')
  return out
}
