// What `down` sees (Observed), what a person or the flags chose (Choices), and what it will do (Plan).
// The planner between them is pure (plan.mts); observe.mts and execute.mts are the only parts with effects.

import type { OwnedState } from '../shell/manifest.mts'

export const REGISTRY_LABEL = 'dev.platform.role'
export const REGISTRY_ROLE = 'registry'
/** kind labels every node container with its cluster name */
export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster'

/** A port-forward recorded in <state>/forwards.json. */
export interface ObservedForward {
  pid: number
  what: string
  /** the process is running (not a zombie) */
  live: boolean
  /** live AND its command line is still a port-forward (the pid was not reused by something else) */
  ours: boolean
}

export interface ObservedRegistry {
  name: string
  /** absent: no container of that name; ours: carries dev.platform.role=registry; foreign: same name without our label */
  status: 'absent' | 'ours' | 'foreign'
  running?: boolean
  image?: string
  hostPort?: number
  /** docker volumes mounted into it: the cached images. Anonymous ones go with `docker rm -v`. */
  volumes: { name: string; anonymous: boolean }[]
  networks: string[]
}

/** A pull-through cache of this platform (label dev.platform.role=mirror, named <REGISTRY_NAME>-mirror-<upstream>). */
export interface ObservedMirror {
  name: string
  upstream: string
  running: boolean
  /** its named data volume (the cached images), when mounted */
  volume?: string
  networks: string[]
}

export interface ObservedNetwork {
  name: string
  exists: boolean
  /** up recorded that the network did not exist before it created the cluster */
  createdByUs: boolean
  /** containers attached to it (running ones: docker lists no endpoint for a stopped container) */
  members: string[]
  /**
   * kind clusters with a node container on it, running or stopped (a stopped cluster needs the network to start
   * again). With KIND_EXPERIMENTAL_DOCKER_NETWORK, clusters on other networks do not count.
   */
  clusters: string[]
}

export interface ObservedKind {
  clusterName: string
  /** every cluster `kind get clusters` lists (ours is deleted only on an exact match) */
  clusters: string[]
  /** node containers labelled io.x-k8s.kind.cluster=<clusterName> */
  nodes: string[]
  registry: ObservedRegistry
  /** the pull-through caches (REGISTRY_MIRRORS): kept by a plain down, like the registry */
  mirrors?: ObservedMirror[]
  /** data volumes of caches whose container is gone (named <REGISTRY_NAME>-mirror-<upstream>-data) */
  mirrorVolumes?: string[]
  network: ObservedNetwork
}

export interface ObservedExisting {
  /** up installed Flux there (state.installed.flux) and it is still there */
  flux: { recorded: boolean; present: boolean }
  helmReleases: { name: string; namespace: string; present: boolean }[]
  namespaces: { name: string; present: boolean }[]
}

export interface ObservedLocal {
  stateDir: string
  stateExists: boolean
  /** what the suite wrote there (its journal, or an older version's known files), and what it did not */
  owned: OwnedState
  /** the generated Grafana admin password file, when it lives in the state dir and the suite wrote it */
  credentials?: { file: string; exists: boolean }
  /** the local CA (<state>/tls/ca.crt, ca.key): kept unless asked, since a user may have told their system to trust it */
  ca?: { dir: string; files: string[] }
  forwards: ObservedForward[]
}

export interface Observed {
  provider: 'kind' | 'existing'
  /** the one context down ever talks to: kind-<name>, or KUBE_CONTEXT with PLATFORM_PROVIDER=existing */
  context: string
  /** context names in the kubeconfig */
  contexts: string[]
  /** the kubeconfig's current-context (shown, never changed) */
  currentContext?: string
  kind?: ObservedKind
  existing?: ObservedExisting
  local: ObservedLocal
}

export type ItemId = string

/** Something down can delete, as shown in the prompt and the report. */
export interface Item {
  id: ItemId
  title: string
  detail: string
  /** a few words for the prompt line (the detail is in the table above it) */
  hint: string
  exists: boolean
  /** selected unless the user says otherwise (--yes takes exactly these) */
  byDefault: boolean
  /** offered in the interactive multi-select (false for things that go with another item) */
  choosable: boolean
}

export interface Choices {
  /** item ids to delete */
  selected: ItemId[]
}

export type Action =
  | { kind: 'stop-forward'; item: ItemId; pid: number; what: string }
  | { kind: 'flux-prune'; item: ItemId; context: string }
  | { kind: 'flux-uninstall'; item: ItemId; context: string }
  | { kind: 'helm-uninstall'; item: ItemId; context: string; name: string; namespace: string }
  | { kind: 'delete-namespace'; item: ItemId; context: string; name: string }
  | { kind: 'delete-cluster'; item: ItemId; name: string; context: string }
  | { kind: 'delete-context'; item: ItemId; context: string }
  | { kind: 'delete-registry'; item: ItemId; name: string }
  /** a kept registry leaves the network with the cluster, so the network can go (the next up reconnects it) */
  | { kind: 'disconnect-registry'; item: ItemId; name: string; network: string }
  | { kind: 'delete-network'; item: ItemId; name: string }
  /** a cache container (re-checked: label and name) and then its named data volume */
  | { kind: 'delete-mirror'; item: ItemId; name: string; volume?: string }
  /** a cache's data volume whose container is already gone */
  | { kind: 'delete-volume'; item: ItemId; name: string }
  /** a kept cache leaves the kind network with the cluster, so the network can go (the next up reconnects it) */
  | { kind: 'disconnect-mirror'; item: ItemId; name: string; network: string }
  | { kind: 'delete-credentials'; item: ItemId; file: string }
  /**
   * Remove exactly `files` (relative paths the suite recorded writing; never recursive), then, when nothing
   * the suite wrote is left, its journal and the `dirs` it created (deepest first, '.' = the state dir), each
   * only if empty: a file someone else put there keeps its directory.
   */
  | { kind: 'delete-state'; item: ItemId; dir: string; files: string[]; dirs: string[] }
  /** the local CA's files (only those), then its directory when nothing else is in it */
  | { kind: 'delete-ca'; item: ItemId; dir: string; files: string[] }
  | { kind: 'update-state'; item: ItemId; dir: string; forget: StateSection[]; dropForwards: number[] }

export type StateSection = 'cluster' | 'registry' | 'installed' | 'image' | 'grafana'

export type Outcome = 'delete' | 'absent' | 'keep'

export interface PlanEntry {
  item: ItemId
  title: string
  outcome: Outcome
}

export interface Plan {
  actions: Action[]
  entries: PlanEntry[]
  /** things shown to the user that down will not touch (a foreign container, the current context, ...) */
  notes: string[]
}
