// The default, human-readable report: truth tables, mismatches with the policies behind them,
// assertion results and a one-line summary.

import { paint } from '../../shell/color.mts'
import { MATRIX_LEGEND, renderMatrices } from './matrix.mts'
import { cellLabel, isMismatch, summarize, type NetpolReport, type ReportCell } from './types.mts'

const MAX_LISTED = 50

const observedText = (c: ReportCell) =>
  c.observed === undefined ? 'not observed' : c.observed ? 'allowed (connected)' : `denied (${c.class ?? 'blocked'}${c.detail ? `: ${c.detail}` : ''})`

export function renderHuman(report: NetpolReport, color = false): string {
  const s = summarize(report)
  const out: string[] = []
  const title = report.mode === 'offline' ? 'Expected connectivity (offline, from manifests)' : 'Network policy probes'
  out.push(paint.bold(color, `${title}: ${report.sources.length} source pods, ${report.destinations.length} destinations, ${report.policies} policies`), '')
  for (const w of report.warnings) out.push(paint.yellow(color, `! ${w}`))
  if (report.warnings.length) out.push('')

  if (report.cells.length === 0) out.push('No connections to check (no pods with declared ports in scope).', '')
  else {
    out.push(renderMatrices(report, 'expected', color), `legend: ${MATRIX_LEGEND.expected}`, '')
    if (report.mode === 'probe') {
      out.push(renderMatrices(report, 'observed', color), `legend: ${MATRIX_LEGEND.observed}`, '')
      out.push(renderMatrices(report, 'diff', color), `legend: ${MATRIX_LEGEND.diff}`, '')
    }
  }

  const mismatches = report.cells.filter(isMismatch)
  if (mismatches.length > 0) {
    out.push(paint.red(color, `Mismatches (${mismatches.length}):`))
    for (const c of mismatches.slice(0, MAX_LISTED)) {
      out.push(`  ${cellLabel(c)}: expected ${c.expected ? 'allowed' : 'denied'}, observed ${observedText(c)}${c.attempts ? ` after ${c.attempts} attempts` : ''}`)
      if (c.why) out.push(paint.dim(color, `      ${c.why}`))
    }
    if (mismatches.length > MAX_LISTED) out.push(`  ... and ${mismatches.length - MAX_LISTED} more (see --format json)`)
    out.push('')
  }
  const unobserved = report.mode === 'probe' ? report.cells.filter((c) => c.observed === undefined) : []
  if (unobserved.length > 0) {
    out.push(paint.yellow(color, `Not observed (${unobserved.length}):`))
    for (const c of unobserved.slice(0, 10)) out.push(`  ${cellLabel(c)}${c.detail ? `: ${c.detail}` : ''}`)
    if (unobserved.length > 10) out.push(`  ... and ${unobserved.length - 10} more`)
    out.push('')
  }

  if (report.assertions.length > 0) {
    out.push('Assertions:')
    for (const a of report.assertions) {
      if (a.ok) out.push(`  ${paint.green(color, '✔')} ${a.name} (${a.checked} connections ${a.expect === 'allow' ? 'allowed' : 'denied'})`)
      else {
        out.push(`  ${paint.red(color, '✖')} ${a.name}: ${a.message ?? 'failed'}`)
        for (const v of a.violations.slice(0, 10)) out.push(`      ${cellLabel(v)} is ${v.allowed ? 'allowed' : 'denied'}`)
        if (a.violations.length > 10) out.push(`      ... and ${a.violations.length - 10} more`)
      }
    }
    out.push('')
  }

  const parts = [`${s.cells} connections: ${s.allowed} allowed, ${s.denied} denied by policy`]
  if (report.probe) {
    const p = report.probe
    parts.push(`probed in ${p.rounds} round${p.rounds === 1 ? '' : 's'} (${p.execs} exec calls, ${(p.durationMs / 1000).toFixed(1)}s)`)
    parts.push(s.mismatches === 0 ? 'observed == expected' : `${s.mismatches} mismatches (${s.unexpectedlyAllowed} unexpectedly allowed, ${s.unexpectedlyDenied} unexpectedly denied)`)
    if (s.unobserved) parts.push(`${s.unobserved} not observed`)
  }
  if (s.assertions) parts.push(`assertions: ${s.assertions - s.assertionsFailed}/${s.assertions} hold`)
  out.push(`${report.ok ? paint.green(color, '✔') : paint.red(color, '✖')} ${parts.join('; ')}`)
  return `${out.join('\n')}\n`
}
