// The one report shape every output format renders, for offline expectations and live probes alike.

import type { AssertionResult } from '../assertions.mts'
import type { DestinationKind, DestPort } from '../targets.mts'
import type { Protocol } from '../model.mts'

/** Why a probe did not connect (agnhost connect's prefixes), or 'ok'. */
export type ProbeClass = 'ok' | 'timeout' | 'refused' | 'dns' | 'other' | 'error'

export interface ReportCell {
  from: string
  to: string
  port: number
  protocol: Protocol
  toKind: DestinationKind
  portName?: string
  expected: boolean
  /** live probes only; undefined = never observed (exec failed every round, destination had no IP) */
  observed?: boolean
  class?: ProbeClass
  /** first line of the probe's error output */
  detail?: string
  /** how many times this cell was probed */
  attempts?: number
  /** policies that decided the expectation, for mismatches: "egress: isolated by x/deny, allowed by -" */
  why?: string
}

export interface ReportDestination {
  id: string
  kind: DestinationKind
  ports: DestPort[]
}

export interface ProbeStats {
  rounds: number
  /** kubectl exec calls made (one per source pod per round at most) */
  execs: number
  durationMs: number
  /** false when the deadline passed with mismatches left */
  settled: boolean
}

export interface NetpolReport {
  mode: 'offline' | 'probe'
  /** how many NetworkPolicies the expectation was computed from */
  policies: number
  sources: string[]
  destinations: ReportDestination[]
  cells: ReportCell[]
  assertions: AssertionResult[]
  warnings: string[]
  probe?: ProbeStats
  /** offline: every assertion holds. probe: observed == expected and every assertion holds */
  ok: boolean
}

export interface Summary {
  cells: number
  allowed: number
  denied: number
  probed: number
  mismatches: number
  /** observed allowed where denied was expected: a hole */
  unexpectedlyAllowed: number
  /** observed denied where allowed was expected */
  unexpectedlyDenied: number
  unobserved: number
  assertions: number
  assertionsFailed: number
}

export const isMismatch = (c: ReportCell): boolean => c.observed !== undefined && c.observed !== c.expected

export function summarize(r: NetpolReport): Summary {
  const probed = r.cells.filter((c) => c.observed !== undefined)
  return {
    cells: r.cells.length,
    allowed: r.cells.filter((c) => c.expected).length,
    denied: r.cells.filter((c) => !c.expected).length,
    probed: probed.length,
    mismatches: probed.filter(isMismatch).length,
    unexpectedlyAllowed: probed.filter((c) => c.observed && !c.expected).length,
    unexpectedlyDenied: probed.filter((c) => !c.observed && c.expected).length,
    unobserved: r.mode === 'probe' ? r.cells.length - probed.length : 0,
    assertions: r.assertions.length,
    assertionsFailed: r.assertions.filter((a) => !a.ok).length,
  }
}

export const cellLabel = (c: { from: string; to: string; port: number; protocol: string; portName?: string }): string =>
  `${c.from} -> ${c.to} ${c.port}/${c.protocol}${c.portName ? ` (${c.portName})` : ''}`
