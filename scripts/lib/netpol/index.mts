// The network-policy checks as other code calls them:
// - runOffline(): manifests / rendered kustomizations -> expectation report (+ assertions)   [netpol --offline, validate, CI]
// - runProbes():  live cluster -> expected vs observed report                                 [netpol, up]
// - renderReport(): human | json | junit | tap
// Input problems become StepError (exit code 2) naming the file, object and field.

import fs from 'node:fs'
import path from 'node:path'
import { EXIT, StepError } from '../shell/errors.mts'
import { AssertionsError, parseAssertions, type AssertionsFile } from './assertions.mts'
import { LoadError, loadInputs, repoInputs, type Render } from './load.mts'
import { InputProblem } from './objects.mts'
import { offlineReport, type OfflineOptions } from './offline.mts'
import { renderHuman } from './report/human.mts'
import { renderJson, renderJunit, renderTap } from './report/machine.mts'
import type { NetpolReport } from './report/types.mts'

export { runProbes, DEFAULT_PROBE_IMAGE, type ProbeContext, type ProbeOptions } from './probe/live.mts'
export type { NetpolReport } from './report/types.mts'
export { summarize } from './report/types.mts'

import type { Format } from './flags.mts'
export { FORMATS, type Format } from './flags.mts'
export const DEFAULT_ASSERTIONS_FILE = path.join('apps', 'netpol-assertions.yaml')

export function renderReport(report: NetpolReport, format: Format, color = false): string {
  switch (format) {
    case 'json':
      return renderJson(report)
    case 'junit':
      return renderJunit(report)
    case 'tap':
      return renderTap(report)
    default:
      return renderHuman(report, color)
  }
}

function asStepError(e: unknown): never {
  if (e instanceof AssertionsError) {
    throw new StepError({ step: 'netpol/assert', message: e.message, hint: `fix the assertions file named above (the format is shown in ${DEFAULT_ASSERTIONS_FILE})`, exitCode: EXIT.usage, cause: e })
  }
  if (e instanceof LoadError || e instanceof InputProblem) {
    throw new StepError({ step: 'netpol/input', message: e.message, hint: 'fix the manifest named above (the API server would reject it too)', exitCode: EXIT.usage, cause: e })
  }
  throw e
}

export function loadAssertionsFile(file: string, cwd = process.cwd()): AssertionsFile {
  const abs = path.resolve(cwd, file)
  if (!fs.existsSync(abs)) throw new StepError({ step: 'netpol/assert', message: `assertions file ${file} does not exist`, hint: `create it (see ${DEFAULT_ASSERTIONS_FILE}) or drop --assert`, exitCode: EXIT.usage })
  try {
    return parseAssertions(fs.readFileSync(abs, 'utf8'), path.relative(cwd, abs) || file)
  } catch (e) {
    return asStepError(e)
  }
}

export interface RunOfflineOptions extends Omit<OfflineOptions, 'assertions'> {
  /** paths to files/directories; with `repo`, the repository's apps/ and infrastructure/ are added */
  paths?: readonly string[]
  /** repository root whose GitOps content to render (--repo) */
  repo?: string
  assertionsFile?: string
  render?: Render
  cwd?: string
}

export async function runOffline(options: RunOfflineOptions): Promise<NetpolReport> {
  const cwd = options.cwd ?? process.cwd()
  const paths = [...(options.paths ?? []), ...(options.repo ? repoInputs(options.repo) : [])]
  if (paths.length === 0) throw new StepError({ step: 'netpol/input', message: 'nothing to check: no path given', hint: 'pass --offline <file-or-dir> or --repo', exitCode: EXIT.usage })
  const assertions = options.assertionsFile ? loadAssertionsFile(options.assertionsFile, cwd) : undefined
  try {
    const objects = await loadInputs(paths, { cwd, ...(options.render ? { render: options.render } : {}) })
    const { paths: _p, repo: _r, assertionsFile: _a, render: _x, cwd: _c, ...rest } = options
    return offlineReport(objects, { ...rest, ...(assertions ? { assertions } : {}) }).report
  } catch (e) {
    return asStepError(e)
  }
}
