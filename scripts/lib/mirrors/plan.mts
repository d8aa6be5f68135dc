// The pull-through caches as data: one distribution registry in proxy mode per upstream, what its container must
// look like, what to do with the one that exists, and the containerd hosts.toml that sends each node's pulls of
// that upstream to it first. Pure (no I/O).

import { CERTS_DIR, normalizeImage, type RegistryAction } from '../cluster/registry-wiring.mts'
import { upstreamSlug, type Upstream } from './upstreams.mts'

/** Same label key as the local registry (down and status find both by it); the value tells them apart. */
export const ROLE_LABEL = 'dev.platform.role'
export const MIRROR_ROLE = 'mirror'
/** which upstream a cache stands in front of */
export const UPSTREAM_LABEL = 'dev.platform.mirror-of'
export const MIRROR_PORT = 5000
/**
 * The registry's debug server (expvar /debug/vars: the proxy's hit and miss counters), bound to the container's
 * own loopback: reachable through `docker exec` only, never published.
 */
export const DEBUG_ADDR = '127.0.0.1:5001'
export const DATA_DIR = '/var/lib/registry'

/** Environment names for the upstream's credentials: their values reach docker only through its environment. */
export const CREDENTIAL_ENV = { username: 'REGISTRY_PROXY_USERNAME', password: 'REGISTRY_PROXY_PASSWORD' } as const

export interface MirrorCredentials { username: string; password: string }

export interface MirrorWanted {
  upstream: Upstream
  /**
   * up --offline: serve what the volume holds as a plain registry, without its upstream. distribution's proxy
   * mode asks the upstream for its auth endpoints when it starts and exits when it cannot
   * (distribution/distribution#1435, #4038), so a cache restarted without network would never come up.
   */
  offline?: boolean
  /** container name, also its DNS name on the kind network */
  name: string
  /** named volume with the cached blobs: survives re-creating the container */
  volume: string
  image: string
  credentials?: MirrorCredentials
}

export const mirrorName = (registryName: string, host: string) => `${registryName}-mirror-${upstreamSlug(host)}`
export const mirrorVolume = (name: string) => `${name}-data`

export function wantedMirrors(registryName: string, image: string, upstreams: Upstream[], o: { dockerHub?: MirrorCredentials; offline?: boolean } = {}): MirrorWanted[] {
  return upstreams.map((u) => {
    const name = mirrorName(registryName, u.host)
    if (o.offline) return { upstream: u, name, volume: mirrorVolume(name), image, offline: true }
    return { upstream: u, name, volume: mirrorVolume(name), image, ...(u.host === 'docker.io' && o.dockerHub ? { credentials: o.dockerHub } : {}) }
  })
}

/** The registry's configuration, as distribution reads it from REGISTRY_* variables (2.8 and 3.0 alike). */
export function mirrorEnv(w: MirrorWanted): string[] {
  return [...(w.offline ? [] : [`REGISTRY_PROXY_REMOTEURL=${w.upstream.remote}`]), `REGISTRY_HTTP_DEBUG_ADDR=${DEBUG_ADDR}`]
}

/**
 * `docker run` arguments after `run`. Credentials appear only as `-e NAME`: docker takes the value from its own
 * environment, so it is on no command line (mirrorRunEnv gives the runner the values).
 */
export function mirrorRunArgs(w: MirrorWanted): string[] {
  return [
    '-d',
    '--restart=always',
    '--name', w.name,
    '--label', `${ROLE_LABEL}=${MIRROR_ROLE}`,
    '--label', `${UPSTREAM_LABEL}=${w.upstream.host}`,
    // like the local registry: bridge first, the kind network joins later (it may not exist yet)
    '--network', 'bridge',
    // 127.0.0.1 only, on a port docker picks: nothing to collide with, nothing on the LAN; the host uses it to
    // pre-warm the cache (docker pull 127.0.0.1:<port>/...), nodes use <name>:5000 on the kind network
    '-p', `127.0.0.1::${MIRROR_PORT}`,
    '-v', `${w.volume}:${DATA_DIR}`,
    ...mirrorEnv(w).flatMap((e) => ['-e', e]),
    ...(w.credentials ? ['-e', CREDENTIAL_ENV.username, '-e', CREDENTIAL_ENV.password] : []),
    w.image,
  ]
}

/** The values behind the `-e NAME` flags, for the runner's environment (registered as secrets by the config). */
export function mirrorRunEnv(w: MirrorWanted): Record<string, string> {
  return w.credentials ? { [CREDENTIAL_ENV.username]: w.credentials.username, [CREDENTIAL_ENV.password]: w.credentials.password } : {}
}

/** What the adapter saw (a subset of docker inspect). */
export interface MirrorObserved {
  image: string
  running: boolean
  labels: Record<string, string>
  /** Config.Env, NAME=value */
  env: string[]
  /** host IPs its 5000/tcp is published on */
  hostIps: string[]
  /** named volume mounted at /var/lib/registry, if any */
  volume?: string
}

// a cache is a registry container: the same decisions (create, reuse, start, re-create with reasons, or a clash)
export type MirrorAction = RegistryAction
const envValue = (env: string[], key: string) => {
  const e = env.find((x) => x.startsWith(`${key}=`))
  return e === undefined ? undefined : e.slice(key.length + 1)
}

export function decideMirror(observed: MirrorObserved | undefined, w: MirrorWanted): MirrorAction {
  if (!observed) return { action: 'create' }
  if (observed.labels[ROLE_LABEL] !== MIRROR_ROLE) {
    return { action: 'clash', reason: `a container named "${w.name}" exists but was not created by up (no label ${ROLE_LABEL}=${MIRROR_ROLE})` }
  }
  const reasons: string[] = []
  if (normalizeImage(observed.image) !== normalizeImage(w.image)) reasons.push(`image ${observed.image} -> ${w.image}`)
  const remote = envValue(observed.env, 'REGISTRY_PROXY_REMOTEURL')
  if (w.offline) {
    if (remote !== undefined) reasons.push('--offline: serve what it holds without its upstream')
  } else if (remote === undefined) reasons.push(`back online: pull through from ${w.upstream.remote} again`)
  else if (remote !== w.upstream.remote) reasons.push(`upstream ${remote} -> ${w.upstream.remote}`)
  if (envValue(observed.env, 'REGISTRY_HTTP_DEBUG_ADDR') !== DEBUG_ADDR) reasons.push('debug server (hit counts) not configured')
  const user = envValue(observed.env, CREDENTIAL_ENV.username)
  if ((user ?? '') !== (w.credentials?.username ?? '')) reasons.push(w.credentials ? (user ? 'another upstream account' : 'upstream credentials added') : 'upstream credentials removed')
  // compared, never shown
  else if (w.credentials && envValue(observed.env, CREDENTIAL_ENV.password) !== w.credentials.password) reasons.push('upstream password changed')
  if (observed.volume !== w.volume) reasons.push(`data not on volume ${w.volume}`)
  if (observed.hostIps.length !== 1 || observed.hostIps[0] !== '127.0.0.1') reasons.push('port not bound to 127.0.0.1 only')
  if (reasons.length) return { action: 'recreate', reasons }
  return observed.running ? { action: 'reuse' } : { action: 'start' }
}

export const mirrorHostsTomlPath = (host: string) => `${CERTS_DIR}/${host}/hosts.toml`

/**
 * containerd's hosts.toml for an upstream: the cache first (plain HTTP on the kind network, pull and resolve
 * only), then `server`, the upstream itself, when the cache does not answer.
 */
export function mirrorHostsToml(w: { name: string; upstream: Upstream }): string {
  return [
    '# written by up: pulls try the pull-through cache first, then the upstream (REGISTRY_MIRRORS)',
    `server = "${w.upstream.server}"`,
    '',
    `[host."http://${w.name}:${MIRROR_PORT}"]`,
    '  capabilities = ["pull", "resolve"]',
    '',
  ].join('\n')
}

/** Whether a hosts.toml on a node is one up wrote for a cache (so turning mirrors off may remove it). */
export const isOurHostsToml = (content: string) => content.startsWith('# written by up: pulls try the pull-through cache first')
