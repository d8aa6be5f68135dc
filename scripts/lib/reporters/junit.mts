// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): <testsuites> with one <testsuite>
// per group (environment) and one <testcase> per check; <failure> with the message, <skipped> for skips.
import { statusOf, summarize, type Report, type ReportCase } from './model.mts'

/** Escape for XML 1.0 text and attributes; drops characters XML 1.0 cannot carry (control bytes, ANSI). */
export function xmlEscape(s: string): string {
  return s
    .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch] as string)
}

const secs = (ms: number) => (ms / 1000).toFixed(3)

function testcase(c: ReportCase, suiteName: string): string {
  const attrs = `name="${xmlEscape(c.name)}" classname="${xmlEscape(c.classname ? `${suiteName}.${c.classname}` : suiteName)}" time="${secs(c.ms)}"`
  const status = statusOf(c)
  if (status === 'failed') {
    const body = [c.message ?? 'failed', c.details ?? ''].filter(Boolean).join('\n')
    return `    <testcase ${attrs}>\n      <failure message="${xmlEscape(c.message ?? 'failed')}" type="CheckFailed">${xmlEscape(body)}</failure>\n    </testcase>`
  }
  if (status === 'skipped') return `    <testcase ${attrs}>\n      <skipped message="${xmlEscape(c.message ?? 'skipped')}"/>\n    </testcase>`
  return c.message ? `    <testcase ${attrs}>\n      <system-out>${xmlEscape(c.message)}</system-out>\n    </testcase>` : `    <testcase ${attrs}/>`
}

export function renderJunit(report: Report): string {
  const groups = new Map<string, ReportCase[]>()
  for (const c of report.cases) {
    const list = groups.get(c.classname) ?? []
    list.push(c)
    groups.set(c.classname, list)
  }
  const props = Object.entries(report.properties ?? {})
  const propsXml = props.length
    ? `    <properties>\n${props.map(([k, v]) => `      <property name="${xmlEscape(k)}" value="${xmlEscape(String(v))}"/>`).join('\n')}\n    </properties>\n`
    : ''
  const suites = [...groups].map(([classname, cases]) => {
    const s = summarize(cases)
    const name = classname ? `${report.suite}.${classname}` : report.suite
    const ms = cases.reduce((sum, c) => sum + c.ms, 0)
    return `  <testsuite name="${xmlEscape(name)}" tests="${s.total}" failures="${s.failed}" errors="0" skipped="${s.skipped}" time="${secs(ms)}" timestamp="${report.startedAt.replace(/\.\d+Z$/, '')}">\n${propsXml}${cases.map((c) => testcase(c, report.suite)).join('\n')}\n  </testsuite>`
  })
  const t = summarize(report.cases)
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(report.suite)}" tests="${t.total}" failures="${t.failed}" errors="0" skipped="${t.skipped}" time="${secs(report.ms)}">\n${suites.join('\n')}\n</testsuites>\n`
}
