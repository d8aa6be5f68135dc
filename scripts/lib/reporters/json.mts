// The machine-readable report: the model as is, plus a summary, stable key order.
import { statusOf, summarize, type Report } from './model.mts'

export function renderJson(report: Report): string {
  const out = {
    suite: report.suite,
    ok: report.ok,
    startedAt: report.startedAt,
    ms: report.ms,
    summary: summarize(report.cases),
    ...(report.properties ? { properties: report.properties } : {}),
    cases: report.cases.map((c) => ({
      name: c.name,
      classname: c.classname,
      status: statusOf(c),
      ok: c.ok,
      ms: c.ms,
      ...(c.message !== undefined ? { message: c.message } : {}),
      ...(c.details !== undefined ? { details: c.details } : {}),
      ...(c.data !== undefined ? { data: c.data } : {}),
    })),
  }
  return `${JSON.stringify(out, null, 2)}\n`
}
