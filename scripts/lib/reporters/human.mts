// A table for people: one row per case, status coloured on a terminal, failure details below, a summary line.
import { paint, stripAnsi } from '../shell/color.mts'
import { formatMs, renderTable } from '../shell/ui.mts'
import { caseId, statusOf, summarize, type Report } from './model.mts'

export interface HumanOptions { color?: boolean }

// Messages can carry text from the network (a server's body, kubectl's stderr): no escape sequences or control
// bytes reach the terminal from there.
// eslint-disable-next-line no-control-regex
const clean = (s: string) => stripAnsi(s).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
const oneLine = (s: string | undefined) => clean(s ?? '').replace(/\s*\n\s*/g, ' ').trim()

export function renderHuman(report: Report, options: HumanOptions = {}): string {
  const color = options.color ?? false
  const mark = {
    passed: paint.green(color, '✔ pass'),
    failed: paint.red(color, '✖ FAIL'),
    skipped: paint.dim(color, '○ skip'),
  }
  const grouped = report.cases.some((c) => c.classname)
  const rows = report.cases.map((c) => [
    ...(grouped ? [c.classname] : []),
    c.name,
    mark[statusOf(c)],
    c.skipped ? '' : formatMs(c.ms),
    statusOf(c) === 'failed' ? paint.red(color, oneLine(c.message)) : paint.dim(color, oneLine(c.message)),
  ])
  const headers = [...(grouped ? ['group'] : []), 'check', 'status', 'time', 'detail']
  const lines = [renderTable(headers, rows)]
  const withDetails = report.cases.filter((c) => !c.ok && c.details)
  if (withDetails.length) {
    lines.push('')
    for (const c of withDetails) lines.push(`${paint.bold(color, caseId(c))}:`, ...clean(c.details!).trimEnd().split('\n').map((l) => `  ${l}`))
  }
  const s = summarize(report.cases)
  const verdict = report.ok ? paint.green(color, `${report.suite}: all checks passed`) : paint.red(color, `${report.suite}: ${s.failed} of ${s.total} checks failed`)
  lines.push('', `${verdict} (${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped; ${formatMs(report.ms)})`)
  return `${lines.join('\n')}\n`
}
