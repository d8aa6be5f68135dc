// The one-screen status: pure functions from what kubectl/helm/docker report to rows and a verdict.

import type { Environment } from '../shell/config.mts'
import { renderTable } from '../shell/ui.mts'
import { entryEnvironment } from '../flux/apps-artifact.mts'
import { shortDigest } from '../promote/digest.mts'
import { runningByEnv } from '../promote/rules.mts'
import { renderHeal, type HealView } from '../heal/status.mts'
import { renderMirrorRows, type MirrorRow } from '../mirrors/status.mts'

type Obj = Record<string, any>

export interface FluxRow { kind: string; namespace: string; name: string; ready: string; age: string; revision: string; message: string }
export interface AppRow { env: Environment; namespace: string; ready: string; desired: number; available: number; image: string; tag: string; ok: boolean }
export interface HpaRow { env: Environment; replicas: string; range: string; cpu: string; target: string }
/** Which digest of the apps artifact an environment runs (what apps-<env> last applied), and whether it trails dev. */
export interface ArtifactRow { env: Environment; digest?: string; short: string; behind?: Environment }

export function age(iso: string | undefined, now: number): string {
  if (!iso) return ''
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  if (!Number.isFinite(s)) return ''
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.round(s / 60)}m`
  if (s < 172_800) return `${Math.round(s / 3600)}h`
  return `${Math.round(s / 86_400)}d`
}

const readyCond = (o: Obj) => ((o.status?.conditions ?? []) as Obj[]).find((c) => c.type === 'Ready')

export function fluxRows(objs: Obj[], now: number): FluxRow[] {
  const rank: Record<string, number> = { OCIRepository: 0, GitRepository: 0, HelmRepository: 1, Kustomization: 2, HelmRelease: 3 }
  return objs
    .map((o) => {
      const c = readyCond(o)
      return {
        kind: String(o.kind),
        namespace: String(o.metadata?.namespace ?? ''),
        name: String(o.metadata?.name ?? ''),
        ready: o.spec?.suspend ? 'Suspended' : String(c?.status ?? 'Unknown'),
        age: age(c?.lastTransitionTime ?? o.metadata?.creationTimestamp, now),
        revision: String(o.status?.artifact?.revision ?? o.status?.lastAppliedRevision ?? o.status?.lastAttemptedRevision ?? ''),
        message: String(c?.message ?? '').replace(/\s+/g, ' '),
      }
    })
    .sort((a, b) => (rank[a.kind] ?? 9) - (rank[b.kind] ?? 9) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
}

export function appRow(env: Environment, d: Obj | undefined): AppRow {
  const namespace = `demo-${env}`
  if (!d) return { env, namespace, ready: 'missing', desired: 0, available: 0, image: '', tag: '', ok: false }
  const desired = Number(d.status?.replicas ?? d.spec?.replicas ?? 0)
  const ready = Number(d.status?.readyReplicas ?? 0)
  const image = String(d.spec?.template?.spec?.containers?.[0]?.image ?? '')
  const tag = image.includes('@') ? image.split('@')[1]!.slice(0, 19) : image.split(':').at(-1) ?? ''
  return { env, namespace, ready: `${ready}/${desired}`, desired, available: Number(d.status?.availableReplicas ?? 0), image, tag, ok: desired > 0 && ready >= desired }
}

export function hpaRow(env: Environment, h: Obj | undefined): HpaRow | undefined {
  if (!h) return undefined
  const metric = ((h.spec?.metrics ?? []) as Obj[]).find((m) => m.type === 'Resource' && m.resource?.name === 'cpu')
  const current = ((h.status?.currentMetrics ?? []) as Obj[]).find((m) => m.type === 'Resource' && m.resource?.name === 'cpu')
  const util = current?.resource?.current?.averageUtilization
  return {
    env,
    replicas: `${h.status?.currentReplicas ?? '?'}→${h.status?.desiredReplicas ?? '?'}`,
    range: `${h.spec?.minReplicas ?? 1}..${h.spec?.maxReplicas ?? '?'}`,
    cpu: util === undefined ? '<unknown>' : `${util}%`,
    target: metric?.resource?.target?.averageUtilization !== undefined ? `${metric.resource.target.averageUtilization}%` : '',
  }
}

/** FLUX_MODE=oci: one row per environment; `behind` names the entry environment (dev) when the digests differ. */
export function artifactRows(kustomizations: Obj[], environments: Environment[]): ArtifactRow[] {
  const running = runningByEnv(kustomizations, environments)
  const entry = entryEnvironment(environments)
  const lead = entry ? running[entry]?.digest : undefined
  return environments.map((env) => {
    const digest = running[env]?.digest
    return { env, ...(digest ? { digest } : {}), short: digest ? shortDigest(digest) : '', ...(entry && env !== entry && lead && digest !== lead ? { behind: entry } : {}) }
  })
}

export interface StatusModel {
  context: string
  cluster: { reachable: boolean; nodes: string; version?: string; error?: string }
  /** `network`: the kind network it must sit on, `attached`: whether it does (nodes pull from it by name there) */
  registry?: { name: string; running: boolean; hostPort?: number; network?: string; attached?: boolean; note?: string }
  /** kind: each node's container state and Ready condition, and what is stopped or unhealthy (up heals it) */
  heal?: HealView
  /** the pull-through caches (REGISTRY_MIRRORS): shown, not part of the health verdict (nodes fall back to the upstreams) */
  mirrors?: MirrorRow[]
  flux: FluxRow[]
  helm: { name: string; namespace: string; chart: string; status: string }[]
  apps: AppRow[]
  hpa: HpaRow[]
  /** FLUX_MODE=oci: the apps artifact digest each environment runs */
  artifacts?: ArtifactRow[]
  endpoints: string[]
}

/** Healthy: the cluster answers, every Flux object is Ready (or suspended), every app has its replicas. */
export function healthy(m: StatusModel): boolean {
  return m.cluster.reachable
    && (m.registry === undefined || m.registry.running)
    && (m.heal === undefined || m.heal.problems.length === 0)
    && m.flux.every((r) => r.ready === 'True' || r.ready === 'Suspended')
    && m.helm.every((h) => h.status === 'deployed')
    && m.apps.every((a) => a.ok)
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

export function renderStatus(m: StatusModel): string {
  const out: string[] = []
  out.push(`cluster   ${m.context}: ${m.cluster.reachable ? `reachable, nodes Ready ${m.cluster.nodes}${m.cluster.version ? `, ${m.cluster.version}` : ''}` : `NOT reachable${m.cluster.error ? ` (${m.cluster.error})` : ''}`}`)
  if (m.heal) out.push(...renderHeal(m.heal).filter((l) => l.startsWith('nodes')))
  const attached = m.registry?.network ? (m.registry.attached ? `, on the ${m.registry.network} network` : `, NOT on the ${m.registry.network} network`) : ''
  if (m.registry) out.push(`registry  ${m.registry.name}: ${m.registry.running ? `running on 127.0.0.1:${m.registry.hostPort ?? '?'}${attached}` : m.registry.note ?? `not running${attached}`}`)
  if (m.mirrors) out.push(...renderMirrorRows(m.mirrors))
  if (m.heal) out.push(...renderHeal(m.heal).filter((l) => !l.startsWith('nodes')))
  out.push('')
  if (m.flux.length) out.push(renderTable(['flux object', 'ready', 'age', 'revision', 'message'], m.flux.map((r) => [`${r.kind}/${r.namespace}/${r.name}`, r.ready, r.age, clip(r.revision, 28), clip(r.message, 60)])))
  else out.push('flux      no Flux objects (FLUX_MODE=none, or up has not run)')
  if (m.helm.length) out.push('', renderTable(['helm release', 'chart', 'status'], m.helm.map((h) => [`${h.namespace}/${h.name}`, h.chart, h.status])))
  const arts = m.artifacts
  out.push('', renderTable(['app', 'ready', 'image tag', 'hpa replicas', 'range', 'cpu', 'target', ...(arts ? ['runs digest', ''] : [])], m.apps.map((a) => {
    const h = m.hpa.find((x) => x.env === a.env)
    const art = arts?.find((x) => x.env === a.env)
    return [a.namespace, a.ready, a.tag, h?.replicas ?? '', h?.range ?? '', h?.cpu ?? '', h?.target ?? '', ...(arts ? [art?.short || '-', art?.behind ? `behind ${art.behind}` : ''] : [])]
  })))
  if (m.endpoints.length) out.push('', ...m.endpoints)
  return out.join('\n')
}
