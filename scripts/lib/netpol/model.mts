// The normalized data the network-policy engine works on. Raw Kubernetes objects are turned into these
// shapes once (objects.mts, policy.mts); everything downstream relies on the invariants documented here.

export type Protocol = 'TCP' | 'UDP' | 'SCTP'
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP']

export type Labels = Readonly<Record<string, string>>

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'

export interface LabelRequirement {
  key: string
  operator: SelectorOperator
  values: readonly string[]
}

/** A validated label selector: matchLabels folded into `In [v]` requirements, all ANDed. Empty = match all. */
export interface LabelSelector {
  requirements: readonly LabelRequirement[]
}

export interface NamespaceInfo {
  name: string
  /** always includes kubernetes.io/metadata.name=<name> */
  labels: Labels
  /** true when no Namespace document declared it (it exists with only the automatic label) */
  implicit?: boolean
}

export interface ContainerPort {
  port: number
  protocol: Protocol
  name?: string
}

export interface PodInfo {
  namespace: string
  name: string
  labels: Labels
  /** every declared container port (incl. restartable init "sidecar" containers), duplicates kept */
  ports: readonly ContainerPort[]
  /** status.podIP / status.podIPs; ipBlock peers are matched against these */
  ips: readonly string[]
  /** where the pod came from: a Pod document, or "Deployment/demo" etc. when expanded from a workload */
  origin?: string
  /** not a real pod: stands in for cluster add-ons (e.g. kube-dns) the offline input does not contain */
  virtual?: boolean
}

export interface PolicyPort {
  protocol: Protocol
  /** undefined = every port of that protocol */
  port?: number | string
  /** inclusive upper bound; only with a numeric port */
  endPort?: number
}

export interface IpBlockPeer {
  kind: 'ipBlock'
  cidr: string
  except: readonly string[]
}

export interface SelectorPeer {
  kind: 'selector'
  /** undefined = the policy's own namespace; empty selector = every namespace */
  namespaceSelector?: LabelSelector
  /** undefined or empty = every pod (within the namespaces above) */
  podSelector?: LabelSelector
}

export type Peer = IpBlockPeer | SelectorPeer

export interface PolicyRule {
  /** empty = every port and protocol */
  ports: readonly PolicyPort[]
  /** empty = every peer: all pods in all namespaces and every IP */
  peers: readonly Peer[]
}

export interface Policy {
  namespace: string
  name: string
  podSelector: LabelSelector
  /** undefined when Ingress is not among the effective policyTypes (then the policy does not touch ingress) */
  ingress?: readonly PolicyRule[]
  egress?: readonly PolicyRule[]
  /** the file it came from, for messages */
  source?: string
}

export interface Cluster {
  namespaces: ReadonlyMap<string, NamespaceInfo>
  pods: readonly PodInfo[]
  policies: readonly Policy[]
}

/** Something a source pod may try to reach that is not a pod of the model. */
export interface ExternalTarget {
  kind: 'external'
  /** as given: an IP or a DNS name */
  host: string
  /** the IP ipBlock peers are tested against; undefined for a DNS name with no known address */
  ip?: string
  port: number
  protocol: Protocol
}

export const podId = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`
export const METADATA_NAME_LABEL = 'kubernetes.io/metadata.name'
