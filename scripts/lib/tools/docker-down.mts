// docker calls of `down` (registry with its data volume, the kind network). A separate adapter file next to
// docker.mts (the cluster layer's) so areas do not edit each other's functions; only the runner spawns.

import { EXIT, StepError } from '../errors.mts'
import type { Runner } from '../run.mts'
import { parseContainerInspect, type ContainerInfo } from './docker.mts'

const lastLine = (s: string) => s.trim().split('\n').filter(Boolean).at(-1) ?? ''

export interface Mount { type: string; name?: string; source?: string; destination: string }

/** One container by exact name with its mounts (the registry's cached images live in one), or undefined. Read-only. */
export async function inspectContainerWithMounts(r: Runner, name: string, step = 'docker'): Promise<(ContainerInfo & { mounts: Mount[] }) | undefined> {
  const res = await r.run('docker', ['inspect', '--type', 'container', name], { step, nothrow: true, timeoutMs: 30_000 })
  if (!res.ok && !/No such (object|container)/i.test(res.stderr)) {
    throw new StepError({ step, message: `docker inspect ${name} failed: ${lastLine(res.stderr)}`, command: `docker inspect --type container ${name}`, hint: 'is the Docker daemon running? (npx zx scripts/doctor.mts)', exitCode: EXIT.commandFailed })
  }
  const info = parseContainerInspect(res.stdout).find((c) => c.name === name)
  if (!info) return undefined
  let raw: { Name?: string; Mounts?: { Type?: string; Name?: string; Source?: string; Destination?: string }[] | null }[] = []
  try { raw = JSON.parse(res.stdout) } catch { /* parsed above already */ }
  const mounts = (raw.find((o) => String(o.Name ?? '').replace(/^\//, '') === name)?.Mounts ?? []).map((m) => ({ type: m.Type ?? '', name: m.Name, source: m.Source, destination: m.Destination ?? '' }))
  return { ...info, mounts }
}

/**
 * `docker rm -f -v`: the container and its anonymous volumes (the registry image declares /var/lib/registry
 * as one, which plain `rm -f` would leave behind). Already gone counts as removed. Mutating.
 */
export async function removeContainerAndVolumes(r: Runner, name: string, step = 'docker'): Promise<'removed' | 'absent'> {
  const res = await r.run('docker', ['rm', '-f', '-v', name], { step, mutating: true, timeoutMs: 60_000, nothrow: true })
  if (res.ok) return res.dryRun || res.stdout.trim() ? 'removed' : 'absent'
  if (/No such container/i.test(res.stderr)) return 'absent'
  throw new StepError({ step, message: `docker rm -f -v ${name} failed: ${lastLine(res.stderr)}`, command: `docker rm -f -v ${name}`, hint: 're-run with --verbose', exitCode: EXIT.commandFailed })
}

export interface NetworkInfo { name: string; exists: boolean; members: string[]; labels: Record<string, string> }

/** `docker network inspect <name>`: attached containers by name. Read-only. */
export async function inspectNetwork(r: Runner, name: string, step = 'docker'): Promise<NetworkInfo> {
  const res = await r.run('docker', ['network', 'inspect', name], { step, nothrow: true, timeoutMs: 30_000 })
  if (!res.ok) {
    if (/not found|No such network/i.test(res.stderr)) return { name, exists: false, members: [], labels: {} }
    throw new StepError({ step, message: `docker network inspect ${name} failed: ${lastLine(res.stderr)}`, command: `docker network inspect ${name}`, hint: 'is the Docker daemon running? (npx zx scripts/doctor.mts)', exitCode: EXIT.commandFailed })
  }
  let list: { Name?: string; Containers?: Record<string, { Name?: string }> | null; Labels?: Record<string, string> | null }[] = []
  try { list = JSON.parse(res.stdout) } catch { /* treated as absent below */ }
  const n = list.find((x) => x.Name === name)
  if (!n) return { name, exists: false, members: [], labels: {} }
  return { name, exists: true, members: Object.values(n.Containers ?? {}).map((c) => c.Name ?? '').filter(Boolean).sort(), labels: n.Labels ?? {} }
}

/** `docker network rm`: already gone counts as removed; a network with members is refused by docker. Mutating. */
export async function removeNetwork(r: Runner, name: string, step = 'docker'): Promise<'removed' | 'absent'> {
  const res = await r.run('docker', ['network', 'rm', name], { step, mutating: true, timeoutMs: 60_000, nothrow: true })
  if (res.ok) return 'removed'
  if (/not found|No such network/i.test(res.stderr)) return 'absent'
  throw new StepError({ step, message: `docker network rm ${name} failed: ${lastLine(res.stderr)}`, command: `docker network rm ${name}`, hint: `see docker network inspect ${name}`, exitCode: EXIT.commandFailed })
}

/** `docker network disconnect`: not connected (or gone) counts as done. Mutating. */
export async function disconnectNetwork(r: Runner, network: string, container: string, step = 'docker'): Promise<'removed' | 'absent'> {
  const res = await r.run('docker', ['network', 'disconnect', network, container], { step, mutating: true, timeoutMs: 30_000, nothrow: true })
  if (res.ok) return 'removed'
  if (/is not connected|not found|No such (container|network)/i.test(res.stderr)) return 'absent'
  throw new StepError({ step, message: `cannot disconnect ${container} from the ${network} network: ${lastLine(res.stderr)}`, command: `docker network disconnect ${network} ${container}`, hint: 're-run with --verbose', exitCode: EXIT.commandFailed })
}
