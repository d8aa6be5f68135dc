// Machine reporters: json (CONTRACTS.md shape: { cells: [{from,to,port,protocol,allowed}] } plus extras),
// JUnit XML and TAP version 14 for CI.

import { xmlEscape } from '../../reporters/junit.mts'
import { cellLabel, isMismatch, summarize, type NetpolReport, type ReportCell } from './types.mts'

export function renderJson(report: NetpolReport): string {
  const cells = report.cells.map((c) => {
    const base: Record<string, unknown> = { from: c.from, to: c.to, port: c.port, protocol: c.protocol }
    if (report.mode === 'offline') base.allowed = c.expected
    else {
      base.expected = c.expected
      base.observed = c.observed ?? null
      base.match = c.observed === c.expected
      if (c.class) base.class = c.class
      if (c.detail) base.detail = c.detail
      if (c.attempts !== undefined) base.attempts = c.attempts
      if (c.why && isMismatch(c)) base.why = c.why
    }
    if (c.toKind !== 'pod') base.toKind = c.toKind
    if (c.portName) base.portName = c.portName
    return base
  })
  const out: Record<string, unknown> = { cells, ok: report.ok, mode: report.mode, summary: summarize(report) }
  if (report.assertions.length) {
    out.assertions = report.assertions.map((a) => ({ name: a.name, ok: a.ok, expect: a.expect, checked: a.checked, ...(a.message ? { message: a.message } : {}), violations: a.violations.map((v) => ({ from: v.from, to: v.to, port: v.port, protocol: v.protocol, allowed: v.allowed })) }))
  }
  if (report.probe) out.probe = report.probe
  if (report.warnings.length) out.warnings = report.warnings
  return `${JSON.stringify(out, null, 2)}\n`
}

// xmlEscape also drops what XML 1.0 cannot carry (control bytes and ANSI from a probe's stderr).
const xml = xmlEscape

function cellVerdict(report: NetpolReport, c: ReportCell): { ok: boolean; message: string } {
  const want = c.expected ? 'allowed' : 'denied'
  if (report.mode === 'offline') return { ok: true, message: `expected ${want}` }
  if (c.observed === undefined) return { ok: false, message: `expected ${want}, not observed${c.detail ? `: ${c.detail}` : ''}` }
  const got = c.observed ? 'allowed' : `denied (${c.class ?? 'blocked'})`
  return { ok: c.observed === c.expected, message: `expected ${want}, observed ${got}` }
}

export function renderJunit(report: NetpolReport): string {
  const suites: string[] = []
  const cellCases = report.cells.map((c) => {
    const v = cellVerdict(report, c)
    const name = xml(cellLabel(c))
    const classname = xml(`netpol.${report.mode}.${c.from.split('/')[0] ?? ''}`)
    if (v.ok) return `    <testcase name="${name}" classname="${classname}"><system-out>${xml(v.message)}</system-out></testcase>`
    const details = [v.message, c.why ?? ''].filter(Boolean).join('\n')
    return `    <testcase name="${name}" classname="${classname}"><failure message="${xml(v.message)}" type="${c.observed === undefined ? 'unobserved' : 'mismatch'}">${xml(details)}</failure></testcase>`
  })
  const failures = report.cells.filter((c) => !cellVerdict(report, c).ok).length
  const time = report.probe ? ` time="${(report.probe.durationMs / 1000).toFixed(3)}"` : ''
  suites.push(`  <testsuite name="netpol ${report.mode === 'offline' ? 'expectation' : 'probes'}" tests="${report.cells.length}" failures="${failures}" errors="0"${time}>\n${cellCases.join('\n')}\n  </testsuite>`)
  if (report.assertions.length) {
    const cases = report.assertions.map((a) => {
      const name = xml(a.name)
      if (a.ok) return `    <testcase name="${name}" classname="netpol.assertions"/>`
      const body = a.violations.slice(0, 50).map((v) => `${cellLabel(v)} is ${v.allowed ? 'allowed' : 'denied'}`).join('\n')
      return `    <testcase name="${name}" classname="netpol.assertions"><failure message="${xml(a.message ?? 'failed')}" type="assertion">${xml(body)}</failure></testcase>`
    })
    const failed = report.assertions.filter((a) => !a.ok).length
    suites.push(`  <testsuite name="netpol assertions" tests="${report.assertions.length}" failures="${failed}" errors="0">\n${cases.join('\n')}\n  </testsuite>`)
  }
  const total = report.cells.length + report.assertions.length
  const totalFailures = failures + report.assertions.filter((a) => !a.ok).length
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="netpol" tests="${total}" failures="${totalFailures}" errors="0">\n${suites.join('\n')}\n</testsuites>\n`
}

/** TAP 14: a plan, one line per cell and assertion, YAML diagnostics for failures. */
export function renderTap(report: NetpolReport): string {
  const lines = ['TAP version 14', `1..${report.cells.length + report.assertions.length}`]
  let n = 0
  const yamlStr = (s: string) => JSON.stringify(s)
  for (const c of report.cells) {
    n++
    const v = cellVerdict(report, c)
    const desc = cellLabel(c).replace(/#/g, '\\#')
    if (v.ok) {
      lines.push(`ok ${n} - ${desc}`)
      continue
    }
    lines.push(`not ok ${n} - ${desc}`, '  ---', `  message: ${yamlStr(v.message)}`, `  expected: ${c.expected ? 'allowed' : 'denied'}`, `  observed: ${c.observed === undefined ? 'unknown' : c.observed ? 'allowed' : 'denied'}`)
    if (c.class) lines.push(`  class: ${c.class}`)
    if (c.attempts !== undefined) lines.push(`  attempts: ${c.attempts}`)
    if (c.why) lines.push(`  why: ${yamlStr(c.why)}`)
    lines.push('  ...')
  }
  for (const a of report.assertions) {
    n++
    const desc = `assertion: ${a.name}`.replace(/#/g, '\\#')
    if (a.ok) {
      lines.push(`ok ${n} - ${desc}`)
      continue
    }
    lines.push(`not ok ${n} - ${desc}`, '  ---', `  message: ${yamlStr(a.message ?? 'failed')}`, '  violations:')
    for (const v of a.violations.slice(0, 50)) lines.push(`    - ${yamlStr(`${cellLabel(v)} is ${v.allowed ? 'allowed' : 'denied'}`)}`)
    lines.push('  ...')
  }
  return `${lines.join('\n')}\n`
}
