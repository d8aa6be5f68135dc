// What differs between a running kind cluster and the desired config in ways only re-creating it can fix.
// Pure: the cluster phase feeds it what docker inspect saw on the node containers.

export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster'
export const KIND_ROLE_LABEL = 'io.x-k8s.kind.role'

export interface ObservedNode {
  name: string
  image: string
  running: boolean
  labels: Record<string, string>
}

export interface ClusterWanted {
  workers: number
  nodeImage: string
  /** hash of the effective kind config recorded when up created the cluster, and the current one */
  recordedHash?: string
  currentHash: string
  /** ingress port drift lines from the port plan */
  portDrift: string[]
}

const normalizeImage = (ref: string) => ref.replace(/^docker\.io\//, '')

export function diffCluster(nodes: ObservedNode[], w: ClusterWanted): string[] {
  const out: string[] = []
  const roleOf = (n: ObservedNode) => n.labels[KIND_ROLE_LABEL] ?? ''
  const workers = nodes.filter((n) => roleOf(n) === 'worker').length
  if (workers !== w.workers) out.push(`workers: the cluster has ${workers}, WORKERS wants ${w.workers}`)
  const controlPlanes = nodes.filter((n) => roleOf(n) === 'control-plane').length
  if (controlPlanes !== 1) out.push(`control-plane nodes: the cluster has ${controlPlanes}, cluster/kind.yaml wants 1`)
  const otherImage = nodes.filter((n) => roleOf(n) !== 'external-load-balancer').find((n) => normalizeImage(n.image) !== normalizeImage(w.nodeImage))
  if (otherImage) out.push(`node image: ${otherImage.name} runs ${otherImage.image}, KIND_NODE_IMAGE wants ${w.nodeImage}`)
  out.push(...w.portDrift)
  if (out.length === 0 && w.recordedHash && w.recordedHash !== w.currentHash) {
    out.push('cluster/kind.yaml changed since up created the cluster (node labels, mappings or other settings)')
  }
  return out
}
