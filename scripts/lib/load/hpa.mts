// The HorizontalPodAutoscaler as a person watching a load run wants it: current vs target utilisation per
// resource and the replica count. Pure: parses `kubectl get hpa -o json` output (autoscaling/v2).

export interface HpaMetric {
  /** cpu, memory, or the metric name for Pods/Object/External metrics */
  name: string
  /** percent of the requests (Utilization targets) or a quantity string (AverageValue targets) */
  current?: number | string
  target?: number | string
  unit: '%' | ''
}

export interface HpaStatus {
  name: string
  namespace: string
  currentReplicas: number
  desiredReplicas: number
  minReplicas: number
  maxReplicas: number
  metrics: HpaMetric[]
  /** why the autoscaler cannot act, e.g. "FailedGetResourceMetric: ... metrics API not available" */
  problem?: string
  lastScaleTime?: string
}

type Obj = Record<string, any>

function metricName(m: Obj): string {
  const inner = m.resource ?? m.containerResource ?? m.pods ?? m.object ?? m.external ?? {}
  return String(inner.name ?? inner.metric?.name ?? m.type ?? '?')
}

function targetOf(m: Obj): { value?: number | string; unit: '%' | '' } {
  const t = (m.resource ?? m.containerResource ?? m.pods ?? m.object ?? m.external ?? {}).target ?? {}
  if (typeof t.averageUtilization === 'number') return { value: t.averageUtilization, unit: '%' }
  if (t.averageValue !== undefined) return { value: String(t.averageValue), unit: '' }
  if (t.value !== undefined) return { value: String(t.value), unit: '' }
  return { unit: '' }
}

function currentOf(m: Obj | undefined, unit: '%' | ''): number | string | undefined {
  const c = (m?.resource ?? m?.containerResource ?? m?.pods ?? m?.object ?? m?.external ?? {}).current ?? {}
  if (unit === '%' && typeof c.averageUtilization === 'number') return c.averageUtilization
  if (c.averageValue !== undefined) return String(c.averageValue)
  if (c.value !== undefined) return String(c.value)
  return undefined
}

/** Throws on text that is not an HPA object (the caller shows "hpa: unavailable"). */
export function parseHpa(json: string): HpaStatus {
  const o = JSON.parse(json) as Obj
  if (o?.kind !== 'HorizontalPodAutoscaler') throw new Error(`not a HorizontalPodAutoscaler: ${String(o?.kind)}`)
  const spec = o.spec ?? {}
  const status = o.status ?? {}
  const currents = (Array.isArray(status.currentMetrics) ? status.currentMetrics : []) as Obj[]
  const metrics = ((Array.isArray(spec.metrics) ? spec.metrics : []) as Obj[]).map((m): HpaMetric => {
    const name = metricName(m)
    const { value: target, unit } = targetOf(m)
    const current = currentOf(currents.find((c) => metricName(c) === name), unit)
    return { name, unit, ...(current !== undefined ? { current } : {}), ...(target !== undefined ? { target } : {}) }
  })
  const conds = (Array.isArray(status.conditions) ? status.conditions : []) as Obj[]
  const bad = conds.find((c) => (c.type === 'ScalingActive' || c.type === 'AbleToScale') && c.status === 'False')
  return {
    name: String(o.metadata?.name ?? ''),
    namespace: String(o.metadata?.namespace ?? ''),
    currentReplicas: Number(status.currentReplicas ?? 0),
    desiredReplicas: Number(status.desiredReplicas ?? status.currentReplicas ?? 0),
    minReplicas: Number(spec.minReplicas ?? 1),
    maxReplicas: Number(spec.maxReplicas ?? 0),
    metrics,
    ...(bad ? { problem: `${bad.reason ?? bad.type}${bad.message ? `: ${String(bad.message).split('\n')[0]}` : ''}` } : {}),
    ...(status.lastScaleTime ? { lastScaleTime: String(status.lastScaleTime) } : {}),
  }
}

/** "cpu 85%/70% memory 41%/80% replicas 2→3 [1..2]", as kubectl's TARGETS column plus the replica story. */
export function formatHpa(h: HpaStatus): string {
  const metrics = h.metrics.map((m) => `${m.name} ${m.current ?? '?'}${m.current !== undefined ? m.unit : ''}/${m.target ?? '?'}${m.unit}`).join(' ')
  const replicas = h.desiredReplicas !== h.currentReplicas ? `${h.currentReplicas}→${h.desiredReplicas}` : `${h.currentReplicas}`
  const problem = h.problem ? ` (${h.problem.split(':')[0]})` : ''
  return `${metrics ? `${metrics} ` : ''}replicas ${replicas} [${h.minReplicas}..${h.maxReplicas}]${problem}`
}

export interface HpaTimeline {
  first?: HpaStatus
  last?: HpaStatus
  /** highest replica count seen (current or desired) */
  peakReplicas: number
  /** every change in replica count: "+12s 2→3" */
  changes: { atMs: number; from: number; to: number }[]
  polls: number
  failedPolls: number
}

export const emptyTimeline = (): HpaTimeline => ({ peakReplicas: 0, changes: [], polls: 0, failedPolls: 0 })

/** Fold one poll into the timeline (pure; returns a new object). */
export function observeHpa(t: HpaTimeline, h: HpaStatus | undefined, atMs: number): HpaTimeline {
  if (!h) return { ...t, polls: t.polls + 1, failedPolls: t.failedPolls + 1 }
  const changes = t.last && t.last.currentReplicas !== h.currentReplicas ? [...t.changes, { atMs, from: t.last.currentReplicas, to: h.currentReplicas }] : t.changes
  return { first: t.first ?? h, last: h, peakReplicas: Math.max(t.peakReplicas, h.currentReplicas, h.desiredReplicas), changes, polls: t.polls + 1, failedPolls: t.failedPolls }
}
