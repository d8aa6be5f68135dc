// Text for people: the live status line and the end-of-run summary. Pure.

import { formatHpa, type HpaStatus, type HpaTimeline } from './hpa.mts'
import type { LiveSnapshot, LoadSummary, Percentiles } from './recorder.mts'

export const fmtMs = (ms: number): string => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : String(Math.round(ms)))
export const fmtPct = (x: number): string => `${(x * 100).toFixed(1)}%`
const fmtSecs = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`
const fmtPercentiles = (p: Percentiles | undefined) => (p ? `p50 ${fmtMs(p.p50)} p90 ${fmtMs(p.p90)} p99 ${fmtMs(p.p99)} ms` : 'p50 - p90 - p99 - ms')

export interface HpaView {
  status?: HpaStatus
  /** why there is no status: "kubectl failed: ..." */
  error?: string
}

/** One line, refreshed in place on a terminal and printed every few seconds otherwise. */
export function liveLine(s: LiveSnapshot, hpa?: HpaView): string {
  const parts = [
    fmtSecs(s.elapsedMs).padStart(5),
    `${String(s.completed).padStart(6)} req`,
    `${s.rps.toFixed(1).padStart(7)} rps`,
    fmtPercentiles(s.recent),
    `err ${fmtPct(s.errorRate)}`,
  ]
  if (hpa) parts.push(`| hpa ${hpa.status ? formatHpa(hpa.status) : `unavailable${hpa.error ? ` (${hpa.error})` : ''}`}`)
  return parts.join('  ')
}

export interface RunDescription {
  url: string
  concurrency: number
  rate?: number
  durationMs?: number
  requests?: number
  /** "port-forward to demo-dev/svc/demo" when the target is reached through one */
  via?: string
}

export function describeRun(d: RunDescription): string {
  const mode = d.rate ? `open loop at ${d.rate} req/s (at most ${d.concurrency} in flight)` : `${d.concurrency} concurrent (closed loop)`
  const bound = [d.requests !== undefined ? `${d.requests} requests` : '', d.durationMs !== undefined ? `${fmtSecs(d.durationMs)}` : ''].filter(Boolean).join(' or ')
  return `load: GET ${d.url}${d.via ? ` via ${d.via}` : ''}, ${mode}, until ${bound}`
}

export function summaryText(s: LoadSummary, d: RunDescription, hpa?: HpaTimeline, late = 0): string {
  const lines: string[] = []
  const row = (k: string, v: string) => lines.push(`${k.padEnd(11)}${v}`)
  row('target', `${d.url}${d.via ? ` (via ${d.via})` : ''}`)
  row('requests', `${s.completed} in ${fmtSecs(s.elapsedMs)} (ok ${s.ok}, failed ${s.failures})`)
  row('throughput', `${s.throughput.toFixed(1)} req/s${d.rate ? ` (target ${d.rate} req/s)` : ''}`)
  const e = s.errorRate
  row('error rate', `${fmtPct(e.rate)} (${Math.round(e.confidence * 100)}% CI ${fmtPct(e.low)}–${fmtPct(e.high)})`)
  const statuses = Object.entries(s.statuses).map(([k, v]) => `${k}: ${v}`)
  const errors = Object.entries(s.errors).map(([k, v]) => `${k}: ${v}`)
  if (statuses.length) row('statuses', statuses.join('  '))
  if (errors.length) row('no answer', errors.join('  '))
  if (s.latencyMs) {
    const l = s.latencyMs
    row('latency', `min ${fmtMs(l.min)}  mean ${fmtMs(l.mean)}  p50 ${fmtMs(l.p50)}  p90 ${fmtMs(l.p90)}  p99 ${fmtMs(l.p99)}  max ${fmtMs(l.max)} ms`)
  }
  if (late > 0) row('client', `${late} requests went out late: raise --concurrency to hold --rate ${d.rate}`)
  if (hpa) {
    if (hpa.last) {
      const first = hpa.first!
      const story = hpa.changes.length ? hpa.changes.map((c) => `+${fmtSecs(c.atMs)} ${c.from}→${c.to}`).join(', ') : 'no change'
      row('hpa', `${hpa.last.namespace}/${hpa.last.name}: replicas ${first.currentReplicas} → ${hpa.last.currentReplicas} (peak ${hpa.peakReplicas}; ${story}); now ${formatHpa(hpa.last)}`)
    } else row('hpa', `no reading in ${hpa.polls} polls`)
  }
  return `${lines.join('\n')}\n`
}
