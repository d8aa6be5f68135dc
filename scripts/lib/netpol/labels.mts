// Label selectors with the exact semantics of apimachinery's Requirement.Matches.
// Two traps other engines fell into (cyclonus, policy-assistant): NotIn must MATCH when the key is absent,
// and matchLabels {k: ""} must still require the key to be present.

import type { LabelRequirement, LabelSelector, Labels, SelectorOperator } from './model.mts'

/** A problem in an input object; `field` is a dotted path inside the object. Callers add file and object name. */
export class InvalidInput extends Error {
  readonly field: string
  constructor(field: string, message: string) {
    super(message)
    this.name = 'InvalidInput'
    this.field = field
  }
}

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist']

export const MATCH_ALL: LabelSelector = { requirements: [] }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Parses a raw metav1.LabelSelector. `null`/`undefined` must be handled by the caller (nil has its own meaning). */
export function parseSelector(raw: unknown, field: string): LabelSelector {
  if (!isRecord(raw)) throw new InvalidInput(field, 'must be a label selector object')
  const requirements: LabelRequirement[] = []
  const ml = raw.matchLabels
  if (ml !== undefined && ml !== null) {
    if (!isRecord(ml)) throw new InvalidInput(`${field}.matchLabels`, 'must be a map of label keys to string values')
    for (const [key, value] of Object.entries(ml)) {
      if (typeof value !== 'string') throw new InvalidInput(`${field}.matchLabels.${key}`, `value must be a string (quote it), got ${JSON.stringify(value)}`)
      requirements.push({ key, operator: 'In', values: [value] })
    }
  }
  const me = raw.matchExpressions
  if (me !== undefined && me !== null) {
    if (!Array.isArray(me)) throw new InvalidInput(`${field}.matchExpressions`, 'must be a list')
    me.forEach((expr: unknown, i) => {
      const f = `${field}.matchExpressions[${i}]`
      if (!isRecord(expr)) throw new InvalidInput(f, 'must be an object with key, operator, values')
      const { key, operator } = expr
      const values = expr.values ?? []
      if (typeof key !== 'string' || key === '') throw new InvalidInput(`${f}.key`, 'is required')
      if (typeof operator !== 'string' || !OPERATORS.includes(operator as SelectorOperator)) {
        throw new InvalidInput(`${f}.operator`, `must be one of ${OPERATORS.join(', ')}, got ${JSON.stringify(operator)}`)
      }
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) throw new InvalidInput(`${f}.values`, 'must be a list of strings')
      const op = operator as SelectorOperator
      if ((op === 'In' || op === 'NotIn') && values.length === 0) throw new InvalidInput(`${f}.values`, `must be non-empty for operator ${op}`)
      if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) throw new InvalidInput(`${f}.values`, `must be empty for operator ${op}`)
      requirements.push({ key, operator: op, values: values as string[] })
    })
  }
  return { requirements }
}

export function requirementMatches(r: LabelRequirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key)
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(labels[r.key] as string)
    case 'NotIn':
      return !has || !r.values.includes(labels[r.key] as string)
    case 'Exists':
      return has
    case 'DoesNotExist':
      return !has
  }
}

export function selectorMatches(sel: LabelSelector, labels: Labels): boolean {
  for (const r of sel.requirements) if (!requirementMatches(r, labels)) return false
  return true
}

export const isMatchAll = (sel: LabelSelector): boolean => sel.requirements.length === 0

/** kubectl-style rendering for messages and explanations: `app=demo,tier notin (db),!debug`. */
export function formatSelector(sel: LabelSelector): string {
  if (sel.requirements.length === 0) return '{}'
  return sel.requirements
    .map((r) => {
      switch (r.operator) {
        case 'In':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`
        case 'NotIn':
          return `${r.key} notin (${r.values.join(',')})`
        case 'Exists':
          return r.key
        case 'DoesNotExist':
          return `!${r.key}`
      }
    })
    .join(',')
}
