// Gather what doctor needs to judge: tool versions through the adapters, ports by binding, kernel limits.

import fs from 'node:fs'
import os from 'node:os'
import type { Config } from '../shell/config.mts'
import { probePort } from '../shell/ports.mts'
import type { Runner, VersionProbe } from '../shell/run.mts'
import { readState } from '../shell/state.mts'
import { dockerServer, inspectContainers, listContainers } from '../tools/docker.mts'
import { fluxClientVersion } from '../tools/flux.mts'
import { helmVersion } from '../tools/helm.mts'
import { kindVersion } from '../tools/kind.mts'
import { kubectlClientVersion } from '../tools/kubectl.mts'
import type { Observations } from './evaluate.mts'

function readInt(file: string): number | undefined {
  try { return Number(fs.readFileSync(file, 'utf8').trim()) } catch { return undefined }
}

export interface ObserveOptions {
  /** false: do not run docker and kind (up with PLATFORM_PROVIDER=existing must not touch them) */
  kindTools?: boolean
  /** false: do not probe host ports (up's ports phase does that with more context) */
  probePorts?: boolean
  /** false: do not read the platform containers' restart policies (up heals stopped containers itself) */
  restartPolicies?: boolean
}

export async function observe(r: Runner, c: Config, stateDir: string, root: string, opts: ObserveOptions = {}): Promise<Observations> {
  const kindTools = opts.kindTools ?? true
  const state = readState(stateDir)
  const wanted = c.provider === 'kind' && opts.probePorts !== false
    ? [
        { label: 'REGISTRY_PORT', port: state.ports?.registry ?? c.registryPort, ours: state.registry?.createdByUs === true },
        { label: 'INGRESS_HTTP_PORT', port: state.ports?.http ?? c.ingressHttpPort, ours: state.cluster?.createdByUs === true },
        { label: 'INGRESS_HTTPS_PORT', port: state.ports?.https ?? c.ingressHttpsPort, ours: state.cluster?.createdByUs === true },
      ]
    : []
  const [docker, kind, kubectl, helm, flux, ports] = await Promise.all([
    kindTools ? dockerServer(r, 'doctor') : Promise.resolve({ reachable: false, error: 'not checked' }),
    kindTools ? kindVersion(r, 'doctor') : Promise.resolve({} as VersionProbe),
    kubectlClientVersion(r, 'doctor'),
    helmVersion(r, 'doctor'),
    fluxClientVersion(r, 'doctor'),
    Promise.all(wanted.map(async (w) => {
      const probe = await probePort(w.port)
      // A port recorded as ours and busy is most likely held by our registry/cluster: not a conflict.
      return { label: w.label, port: w.port, state: probe === 'busy' && w.ours ? 'ours' as const : probe }
    })),
  ])
  const restart = kindTools && opts.restartPolicies !== false && c.provider === 'kind' && docker.reachable ? await restartPolicies(r, c).catch(() => undefined) : undefined
  const watches = readInt('/proc/sys/fs/inotify/max_user_watches')
  const instances = readInt('/proc/sys/fs/inotify/max_user_instances')
  let diskFreeBytes: number | undefined
  try { const s = fs.statfsSync(root); diskFreeBytes = s.bavail * s.bsize } catch { /* unsupported fs */ }
  // a tool that is there but hangs or errors is reported as such, never as "not found on PATH"
  const problems: Observations['problems'] = {}
  for (const [name, p] of [['kind', kind], ['kubectl', kubectl], ['helm', helm], ['flux', flux]] as const) {
    if (p.problem && p.problem !== 'missing' && p.detail) problems[name] = p.detail
  }
  return {
    platform: process.platform,
    docker, ports, problems,
    ...(restart ? { restart } : {}),
    ...(kind.version ? { kind: kind.version } : {}),
    ...(kubectl.version ? { kubectl: kubectl.version } : {}),
    ...(helm.version ? { helm: helm.version } : {}),
    ...(flux.version ? { flux: flux.version } : {}),
    inotify: watches !== undefined && instances !== undefined ? { maxUserWatches: watches, maxUserInstances: instances } : undefined,
    diskFreeBytes,
    memoryBytes: os.totalmem(),
  }
}

/** The registry's and the cluster's node containers' restart policies (read-only docker inspect). */
async function restartPolicies(r: Runner, c: Config): Promise<Observations['restart']> {
  const nodes = (await listContainers(r, { label: `io.x-k8s.kind.cluster=${c.clusterName}` }, 'doctor')).map((x) => x.name)
  const found = await inspectContainers(r, [c.registryName, ...nodes], 'doctor')
  const reg = found.find((x) => x.name === c.registryName && x.labels['dev.platform.role'] === 'registry')
  return {
    ...(reg ? { registry: { name: reg.name, policy: reg.restartPolicy ?? 'no' } } : {}),
    nodes: found.filter((x) => nodes.includes(x.name)).map((x) => ({ name: x.name, policy: x.restartPolicy ?? 'no' })),
  }
}
