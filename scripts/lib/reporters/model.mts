// One report model for every check-style command (smoke, netpol probes, ...): a suite of cases, each a
// named check in a group (environment, namespace, "cluster"), rendered by human/json/junit/tap reporters.
// Pure data; renderers live next to this file and never do I/O (see output.mts for writing).

export type CaseStatus = 'passed' | 'failed' | 'skipped'

export interface ReportCase {
  /** the check, e.g. "readyz" */
  name: string
  /** the group it belongs to, e.g. the environment "dev" (JUnit classname, TAP prefix, human column) */
  classname: string
  /** false only for a failure; a skipped case is ok (it is not a failure) */
  ok: boolean
  /** set when the check did not run (a prerequisite failed, or it does not apply); ok stays true */
  skipped?: boolean
  /** one line: why it failed / was skipped, or a short result ("20 calls, 4 errors (max 9)") */
  message?: string
  /** longer diagnostics (multi-line), shown under failures */
  details?: string
  ms: number
  /** machine-readable extras (measured values), kept by the json reporter */
  data?: Record<string, unknown>
}

export interface Report {
  suite: string
  ok: boolean
  startedAt: string
  ms: number
  cases: ReportCase[]
  /** suite-level facts (target URL, context, thresholds), shown by json and as JUnit properties */
  properties?: Record<string, string | number | boolean>
}

export interface Summary { total: number; passed: number; failed: number; skipped: number }

export const statusOf = (c: ReportCase): CaseStatus => (!c.ok ? 'failed' : c.skipped ? 'skipped' : 'passed')

export function summarize(cases: readonly ReportCase[]): Summary {
  const s: Summary = { total: cases.length, passed: 0, failed: 0, skipped: 0 }
  for (const c of cases) s[statusOf(c)]++
  return s
}

/** "dev/readyz" — how a failing case is named in one-line messages. */
export const caseId = (c: ReportCase): string => (c.classname ? `${c.classname}/${c.name}` : c.name)

export const failedCases = (r: Report): ReportCase[] => r.cases.filter((c) => !c.ok)

export function makeReport(suite: string, cases: ReportCase[], t0: number, properties?: Report['properties'], now = Date.now()): Report {
  return { suite, ok: cases.every((c) => c.ok), startedAt: new Date(t0).toISOString(), ms: now - t0, cases, ...(properties ? { properties } : {}) }
}

/** Run one check, timing it; a thrown error becomes a failed case with the error's message. */
export async function timedCase(classname: string, name: string, fn: () => Promise<Omit<ReportCase, 'name' | 'classname' | 'ms'>>): Promise<ReportCase> {
  const t0 = Date.now()
  try {
    const r = await fn()
    return { name, classname, ...r, ms: Date.now() - t0 }
  } catch (e) {
    return { name, classname, ok: false, message: e instanceof Error ? e.message : String(e), ms: Date.now() - t0 }
  }
}
