// TAP version 14: a plan, one test point per case ("# SKIP" for skips), a YAML block under failures.
import { caseId, statusOf, type Report } from './model.mts'

/** TAP descriptions end at an unescaped "#"; backslashes escape themselves. Newlines would break the line. */
const describe = (s: string) => s.replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/\s*\n\s*/g, ' ')

export function renderTap(report: Report): string {
  const lines = ['TAP version 14', `1..${report.cases.length}`]
  report.cases.forEach((c, i) => {
    const n = i + 1
    const desc = describe(caseId(c))
    const status = statusOf(c)
    if (status === 'skipped') { lines.push(`ok ${n} - ${desc} # SKIP ${describe(c.message ?? '')}`.trimEnd()); return }
    if (status === 'passed') { lines.push(`ok ${n} - ${desc}`); return }
    lines.push(`not ok ${n} - ${desc}`, '  ---', `  message: ${JSON.stringify(c.message ?? 'failed')}`, `  duration_ms: ${c.ms}`)
    if (c.details) lines.push('  details: |-', ...c.details.trimEnd().split('\n').map((l) => `    ${l}`))
    lines.push('  ...')
  })
  return `${lines.join('\n')}\n`
}
