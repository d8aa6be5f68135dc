// Truth tables for people: one table per port/protocol (as upstream e2e prints them), rows = source pods,
// columns = destinations that serve that port. `.` allowed, `X` denied, `-` the pod itself (not probed).
// The diff table marks `A` (allowed, but denied was expected: a hole) and `D` (denied, but allowed was
// expected); `?` = not observed. Long names become column numbers with a key, so tables stay narrow.

import { paint } from '../../shell/color.mts'
import type { NetpolReport, ReportCell } from './types.mts'

export type MatrixKind = 'expected' | 'observed' | 'diff'

const MAX_NAMED_COLUMN = 14

function charFor(kind: MatrixKind, c: ReportCell, color: boolean): string {
  if (kind === 'expected') return c.expected ? '.' : 'X'
  if (c.observed === undefined) return paint.yellow(color, '?')
  if (kind === 'observed') return c.observed ? '.' : 'X'
  if (c.observed === c.expected) return '.'
  return paint.red(color, c.observed ? 'A' : 'D')
}

export function renderMatrices(report: NetpolReport, kind: MatrixKind, color = false): string {
  const byKey = new Map<string, ReportCell>()
  for (const c of report.cells) byKey.set(`${c.from}|${c.to}|${c.port}/${c.protocol}`, c)
  const groups = new Map<string, { port: number; protocol: string; columns: string[] }>()
  for (const d of report.destinations) {
    for (const p of d.ports) {
      const k = `${p.port}/${p.protocol}`
      const g = groups.get(k) ?? { port: p.port, protocol: p.protocol, columns: [] }
      g.columns.push(d.id)
      groups.set(k, g)
    }
  }
  const ordered = [...groups.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol))
  const rowWidth = Math.max(4, ...report.sources.map((s) => s.length))
  const out: string[] = []
  for (const g of ordered) {
    const named = g.columns.every((c) => c.length <= MAX_NAMED_COLUMN)
    const labels = named ? g.columns : g.columns.map((_, i) => String(i + 1))
    const widths = labels.map((l) => Math.max(1, l.length))
    out.push(`${kind} ${g.port}/${g.protocol}`)
    out.push(`${' '.repeat(rowWidth)}  ${labels.map((l, i) => l.padEnd(widths[i] as number)).join(' ')}`.trimEnd())
    for (const src of report.sources) {
      const chars = g.columns.map((dst, i) => {
        const w = widths[i] as number
        if (dst === src) return '-'.padEnd(w)
        const cell = byKey.get(`${src}|${dst}|${g.port}/${g.protocol}`)
        const ch = cell ? charFor(kind, cell, color) : ' '
        return ch + ' '.repeat(w - 1)
      })
      out.push(`${src.padEnd(rowWidth)}  ${chars.join(' ')}`.trimEnd())
    }
    if (!named) out.push(`  columns: ${g.columns.map((c, i) => `${i + 1}=${c}`).join('  ')}`)
    out.push('')
  }
  return out.join('\n')
}

export const MATRIX_LEGEND: Record<MatrixKind, string> = {
  expected: '. allowed  X denied  - self',
  observed: '. connected  X blocked  ? not observed  - self',
  diff: '. as expected  A allowed but expected denied  D denied but expected allowed  ? not observed',
}
