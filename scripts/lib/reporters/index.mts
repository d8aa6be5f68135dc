// Pick a reporter by name and deliver its output: stdout, or a file (then stdout stays empty).
import { redact } from '../shell/redact.mts'
import { writeFileAtomic } from '../shell/state.mts'
import { renderHuman } from './human.mts'
import { renderJson } from './json.mts'
import { renderJunit } from './junit.mts'
import type { Report } from './model.mts'
import { renderTap } from './tap.mts'

export * from './model.mts'
export { renderHuman, renderJson, renderJunit, renderTap }

export const REPORTERS = ['human', 'json', 'junit', 'tap'] as const
export type ReporterName = (typeof REPORTERS)[number]

/** Machine reporters own stdout: nothing else may be printed there. */
export const isMachineReporter = (name: ReporterName): boolean => name !== 'human'

export function renderReport(report: Report, reporter: ReporterName, options: { color?: boolean } = {}): string {
  switch (reporter) {
    case 'json': return renderJson(report)
    case 'junit': return renderJunit(report)
    case 'tap': return renderTap(report)
    default: return renderHuman(report, options)
  }
}

/** Render (secrets redacted) and write to `output` (atomically) or stdout. */
export function emitReport(report: Report, reporter: ReporterName, options: { output?: string; color?: boolean; stdout?: NodeJS.WritableStream } = {}): string {
  const text = redact(renderReport(report, reporter, { color: options.output ? false : options.color }))
  if (options.output) writeFileAtomic(options.output, text)
  else (options.stdout ?? process.stdout).write(text)
  return text
}
