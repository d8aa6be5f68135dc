// The caches as `status` shows them: which exist (configured or left from an earlier REGISTRY_MIRRORS), whether
// they run, where the host can reach them, their size and their hit counters. Read-only, never throws.

import type { Config } from '../shell/config.mts'
import type { Runner } from '../shell/run.mts'
import { listContainers } from '../tools/docker.mts'
import { cacheStats, inspectMirrors } from './look.mts'
import { MIRROR_PORT, MIRROR_ROLE, mirrorName, ROLE_LABEL, UPSTREAM_LABEL } from './plan.mts'
import { describeHits, formatBytes, type CacheStats } from './stats.mts'

export interface MirrorRow {
  upstream: string
  name: string
  state: 'running' | 'stopped' | 'absent'
  /** configured in REGISTRY_MIRRORS (an unconfigured one is an old cache, kept until down --all) */
  configured: boolean
  /** 127.0.0.1 port docker picked for it (pre-warm: docker pull 127.0.0.1:<port>/<repo>:<tag>) */
  hostPort?: number
  stats?: CacheStats
}

/** Our caches of this platform: configured ones plus any other container named and labelled as one. */
export async function mirrorRows(r: Runner, c: Config, step = 'status'): Promise<{ rows: MirrorRow[]; error?: string }> {
  try {
    const prefix = `${c.registryName}-mirror-`
    const labelled = (await listContainers(r, { label: `${ROLE_LABEL}=${MIRROR_ROLE}` }, step)).filter((x) => x.name.startsWith(prefix))
    const wanted = c.registryMirrors.map((u) => ({ name: mirrorName(c.registryName, u.host), upstream: u.host, configured: true }))
    const others = labelled.filter((x) => !wanted.some((w) => w.name === x.name)).map((x) => ({ name: x.name, upstream: x.labels[UPSTREAM_LABEL] ?? '?', configured: false }))
    const all = [...wanted, ...others]
    const live = await inspectMirrors(r, all, step)
    const rows = await Promise.all(all.map(async (w): Promise<MirrorRow> => {
      const info = live.get(w.name)
      if (!info) return { ...w, state: 'absent' }
      const port = info.livePorts?.find((p) => p.containerPort === MIRROR_PORT && p.hostPort)?.hostPort
      const row: MirrorRow = { ...w, state: info.running ? 'running' : 'stopped', ...(port ? { hostPort: port } : {}) }
      if (info.running) row.stats = await cacheStats(r, w.name, step)
      return row
    }))
    return { rows }
  } catch (e) {
    return { rows: [], error: e instanceof Error ? e.message.split('\n')[0] : String(e) }
  }
}

/** One line per cache for the status screen. */
export function renderMirrorRows(rows: MirrorRow[]): string[] {
  return rows.map((m) => {
    const head = `mirror    ${m.upstream.padEnd(16)}`
    if (m.state === 'absent') return `${head}not created (run up)`
    if (m.state === 'stopped') return `${head}${m.name}: stopped (up starts it; nodes pull from the upstream meanwhile)`
    const size = m.stats?.sizeBytes !== undefined ? formatBytes(m.stats.sizeBytes) : 'size unknown'
    const where = m.hostPort ? ` on 127.0.0.1:${m.hostPort}` : ''
    return `${head}${m.name}${where}: ${size}, ${describeHits(m.stats ?? {})}${m.configured ? '' : ' — not in REGISTRY_MIRRORS: unused, down --all deletes it'}`
  })
}
