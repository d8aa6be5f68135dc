// Rendering a validate result: problems grouped by source file for people, one JSON document for machines.

import { paint } from '../shell/color.mts'
import { formatMs } from '../shell/ui.mts'
import { formatObject, type Problem } from './types.mts'
import type { ValidateResult } from './run.mts'

/** One line per problem: `file: Kind ns/name field: message [rule]` (what CI logs and tests grep). */
export function problemLine(p: Problem): string {
  const obj = p.object ? ` ${formatObject(p.object)}` : ''
  const field = p.field ? ` ${p.field}` : ''
  const patched = p.patchedBy?.length ? ` (patched by ${p.patchedBy.join(', ')})` : ''
  return `${p.file}:${obj}${field}: ${p.message} [${p.rule}]${patched}`
}

interface Grouped { p: Problem; namespaces: string[]; patchedBy: string[] }

/**
 * One entry for the same problem of the same source object rendered into several namespaces (a base used by
 * the dev, staging and production overlays), instead of three identical lines.
 */
export function groupAcrossNamespaces(problems: readonly Problem[]): Grouped[] {
  const groups = new Map<string, Grouped>()
  for (const p of problems) {
    const key = JSON.stringify([p.severity, p.rule, p.file, p.object?.kind, p.object?.name, p.field, p.message])
    const g = groups.get(key)
    if (!g) { groups.set(key, { p, namespaces: p.object?.namespace ? [p.object.namespace] : [], patchedBy: [...(p.patchedBy ?? [])] }); continue }
    if (p.object?.namespace && !g.namespaces.includes(p.object.namespace)) g.namespaces.push(p.object.namespace)
    for (const f of p.patchedBy ?? []) if (!g.patchedBy.includes(f)) g.patchedBy.push(f)
  }
  return [...groups.values()]
}

export function renderHuman(r: ValidateResult, color: boolean): string {
  const lines: string[] = []
  const byFile = new Map<string, Grouped[]>()
  for (const g of groupAcrossNamespaces(r.problems)) byFile.set(g.p.file, [...(byFile.get(g.p.file) ?? []), g])
  for (const [file, list] of byFile) {
    lines.push(paint.bold(color, file))
    for (const { p, namespaces, patchedBy } of list) {
      const mark = p.severity === 'error' ? paint.red(color, '✖') : paint.yellow(color, '⚠')
      const obj = !p.object ? '' : namespaces.length > 1
        ? `${p.object.kind} ${p.object.name} (in ${namespaces.sort().join(', ')}) `
        : `${formatObject(p.object)} `
      const field = p.field ? paint.cyan(color, p.field) + ': ' : ''
      const patched = patchedBy.length ? paint.dim(color, ` (patched by ${patchedBy[0]}${patchedBy.length > 1 ? ` and ${patchedBy.length - 1} more` : ''})`) : ''
      lines.push(`  ${mark} ${obj}${field}${p.message} ${paint.dim(color, `[${p.rule}]`)}${patched}`)
    }
  }
  if (lines.length) lines.push('')
  lines.push(summaryLine(r))
  return `${lines.join('\n')}\n`
}

export function summaryLine(r: ValidateResult): string {
  const c = r.counts
  const verdict = c.errors === 0 ? 'valid' : 'INVALID'
  const parts = [
    `${c.builds} kustomization builds${c.buildsFailed ? ` (${c.buildsFailed} failed)` : ''}`,
    `${c.objects} objects`,
    ...(c.kindConfigs ? [`${c.kindConfigs} kind config${c.kindConfigs === 1 ? '' : 's'}`] : []),
    `${c.yamlFiles} YAML files (${r.skipped.length} skipped: not applied to the cluster)`,
  ]
  return `validate: ${verdict}: ${c.errors} error${c.errors === 1 ? '' : 's'}, ${c.warnings} warning${c.warnings === 1 ? '' : 's'} — ${parts.join(', ')} — in ${formatMs(r.elapsedMs)}`
}

export function toJson(r: ValidateResult): Record<string, unknown> {
  return {
    ok: r.counts.errors === 0,
    root: r.root,
    elapsedMs: r.elapsedMs,
    counts: r.counts,
    unknownFieldCheck: r.unknownFieldCheck,
    problems: r.problems,
    skipped: r.skipped,
  }
}
