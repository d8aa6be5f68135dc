// The local registry as data: what its container must look like, what to do with the one that exists, and how
// containerd on each kind node and tools in the cluster find it. Pure (no I/O).

import YAML from 'yaml'

/** the label that marks containers up created; down only ever removes containers that carry it */
export const REGISTRY_LABEL_KEY = 'dev.platform.role'
export const REGISTRY_LABEL_VALUE = 'registry'
/** the registry listens on 5000 inside its container and on the kind network */
export const REGISTRY_CONTAINER_PORT = 5000
export const REGISTRY_HELP_URL = 'https://kind.sigs.k8s.io/docs/user/local-registry/'
export const CERTS_DIR = '/etc/containerd/certs.d'

export interface RegistryWanted {
  name: string
  image: string
  port: number
}

/** what the adapter saw (a subset of docker inspect) */
export interface RegistryObserved {
  name: string
  image: string
  running: boolean
  labels: Record<string, string>
  /** host port published for 5000/tcp on 127.0.0.1, if any */
  hostPort?: number
  hostIp?: string
}

export type RegistryAction =
  | { action: 'create' }
  | { action: 'reuse' }
  | { action: 'start' }
  | { action: 'recreate'; reasons: string[] }
  | { action: 'clash'; reason: string }

/** `docker.io/library/registry:3` and `registry:3` name the same image. */
export const normalizeImage = (ref: string) => ref.replace(/^(docker\.io\/)?(library\/)?/, '')

export function decideRegistry(observed: RegistryObserved | undefined, wanted: RegistryWanted): RegistryAction {
  if (!observed) return { action: 'create' }
  if (observed.labels[REGISTRY_LABEL_KEY] !== REGISTRY_LABEL_VALUE) {
    return { action: 'clash', reason: `a container named "${wanted.name}" exists but was not created by up (no label ${REGISTRY_LABEL_KEY}=${REGISTRY_LABEL_VALUE})` }
  }
  const reasons: string[] = []
  if (observed.hostPort !== wanted.port || (observed.hostIp ?? '127.0.0.1') !== '127.0.0.1') {
    reasons.push(`port ${observed.hostIp ?? ''}${observed.hostIp ? ':' : ''}${observed.hostPort ?? 'none'} -> 127.0.0.1:${wanted.port}`)
  }
  if (normalizeImage(observed.image) !== normalizeImage(wanted.image)) reasons.push(`image ${observed.image} -> ${wanted.image}`)
  if (reasons.length) return { action: 'recreate', reasons }
  return observed.running ? { action: 'reuse' } : { action: 'start' }
}

/** `docker run` arguments after `run` for the registry container. */
export function registryRunArgs(w: RegistryWanted): string[] {
  return [
    '-d',
    '--restart=always',
    '--name', w.name,
    '--label', `${REGISTRY_LABEL_KEY}=${REGISTRY_LABEL_VALUE}`,
    // bridge, not the kind network: that network may not exist yet (and podman's default network mode breaks it);
    // the wiring phase connects the registry to the kind network once the cluster exists.
    '--network', 'bridge',
    // 127.0.0.1 explicitly: no LAN access to an insecure registry, and no IPv6 port-forward surprises.
    '-p', `127.0.0.1:${w.port}:${REGISTRY_CONTAINER_PORT}`,
    w.image,
  ]
}

/** The registry hosts containerd must redirect: the host-side name pods use in image fields, and the in-network name. */
export function registryHosts(name: string, port: number): string[] {
  return [`localhost:${port}`, `${name}:${REGISTRY_CONTAINER_PORT}`]
}

export const hostsTomlPath = (host: string) => `${CERTS_DIR}/${host}/hosts.toml`

/** hosts.toml for either host: plain HTTP to the registry container on the kind network. */
export function hostsToml(name: string): string {
  return `[host."http://${name}:${REGISTRY_CONTAINER_PORT}"]\n`
}

/** The KEP-1755 value: how tools find the local registry from the host, the runtime and the cluster network. */
export function registryHostingValue(name: string, port: number): string {
  return [
    `host: "localhost:${port}"`,
    `hostFromContainerRuntime: "${name}:${REGISTRY_CONTAINER_PORT}"`,
    `hostFromClusterNetwork: "${name}:${REGISTRY_CONTAINER_PORT}"`,
    `help: "${REGISTRY_HELP_URL}"`,
    '',
  ].join('\n')
}

export const REGISTRY_HOSTING = { namespace: 'kube-public', name: 'local-registry-hosting', key: 'localRegistryHosting.v1' } as const

export function registryHostingManifest(name: string, port: number): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: REGISTRY_HOSTING.name, namespace: REGISTRY_HOSTING.namespace },
    data: { [REGISTRY_HOSTING.key]: registryHostingValue(name, port) },
  })
}

/** Whether the live ConfigMap (kubectl get -o json) already says what we would apply. */
export function registryHostingMatches(live: unknown, name: string, port: number): boolean {
  const data = (live as { data?: Record<string, string> } | undefined)?.data
  const value = data?.[REGISTRY_HOSTING.key]
  if (typeof value !== 'string') return false
  try {
    const a = YAML.parse(value) as Record<string, unknown>
    const b = YAML.parse(registryHostingValue(name, port)) as Record<string, unknown>
    return Object.keys(b).every((k) => a[k] === b[k]) && Object.keys(a).length === Object.keys(b).length
  } catch {
    return false
  }
}
