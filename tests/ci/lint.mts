// Pure checks of the GitHub workflows against the repository: which scripts they call with which flags,
// how actions and tools are pinned. Used by workflows.test.mts (which supplies the real --help texts).

import YAML from 'yaml'

export interface Step { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown>; 'timeout-minutes'?: number; [k: string]: unknown }
export interface Job { 'runs-on'?: string; steps?: Step[]; env?: Record<string, string>; [k: string]: unknown }
export interface Workflow { name?: string; on?: unknown; permissions?: unknown; jobs: Record<string, Job> }

export function parseWorkflow(text: string, file: string): Workflow {
  const doc = YAML.parseDocument(text)
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`)
  const wf = doc.toJS() as Workflow
  if (!wf || typeof wf !== 'object' || !wf.jobs || typeof wf.jobs !== 'object') throw new Error(`${file}: no jobs`)
  return wf
}

export interface Invocation {
  job: string
  step: string
  script: string
  /** words after the script path, up to the first shell operator */
  args: string[]
  /** a file the shell redirects stdout into, if any */
  redirect?: string
}

const OPERATORS = new Set(['|', '||', '&&', ';', '&'])

/** Shell words of one command line: whitespace-separated, '…' and "…" quoting, stops at a # comment. */
export function shellWords(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quote: '"' | "'" | undefined
  let has = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = undefined
      else cur += c
      continue
    }
    if (c === '"' || c === "'") { quote = c; has = true; continue }
    if (c === '#' && !has && cur === '') break
    if (/\s/.test(c)) { if (has || cur) out.push(cur); cur = ''; has = false; continue }
    cur += c
    has = true
  }
  if (has || cur) out.push(cur)
  return out
}

/** Every `npx zx scripts/<x>.mts …` in the run steps, with its arguments. */
export function invocations(wf: Workflow): Invocation[] {
  const out: Invocation[] = []
  for (const [job, j] of Object.entries(wf.jobs)) {
    for (const [i, s] of (j.steps ?? []).entries()) {
      if (typeof s.run !== 'string') continue
      const script = s.run.replace(/\\\n/g, ' ')
      for (const line of script.split('\n')) {
        const words = shellWords(line)
        for (let k = 0; k + 2 < words.length; k++) {
          if (words[k] !== 'npx' || words[k + 1] !== 'zx' || !/^scripts\/[\w.-]+\.mts$/.test(words[k + 2]!)) continue
          const args: string[] = []
          let redirect: string | undefined
          for (let m = k + 3; m < words.length; m++) {
            const w = words[m]!
            if (OPERATORS.has(w)) break
            if (w === '>' || w === '>>') { redirect = words[m + 1]; break }
            if (/^\d?>/.test(w)) { if (/^>>?[^>]/.test(w)) redirect = w.replace(/^>>?/, ''); break }
            args.push(w)
          }
          out.push({ job, step: s.name ?? `step ${i + 1}`, script: words[k + 2]!, args, ...(redirect ? { redirect } : {}) })
        }
      }
    }
  }
  return out
}

export interface HelpFlag { long: string; short?: string; takesValue: boolean; choices?: string[] }

/** The flags a script's --help lists ("  -c, --concurrency <n>  …(one of: a, b; default: 10)"). */
export function helpFlags(help: string): HelpFlag[] {
  const out: HelpFlag[] = []
  for (const line of help.split('\n')) {
    const m = /^\s+(?:-(\w), )?\s*--([\w-]+)(\s+<[^>]+>)?\s{2,}(.*)$/.exec(line)
    if (!m) continue
    const choices = /one of: ([^;)]+)/.exec(m[4] ?? '')?.[1]?.split(',').map((c) => c.trim())
    out.push({ long: m[2]!, ...(m[1] ? { short: m[1] } : {}), takesValue: Boolean(m[3]), ...(choices ? { choices } : {}) })
  }
  return out
}

/** Problems with one invocation given the script's --help flags (empty = fine). */
export function checkArgs(inv: Invocation, flags: HelpFlag[]): string[] {
  const problems: string[] = []
  const where = `${inv.job} / ${inv.step}: ${inv.script}`
  for (let i = 0; i < inv.args.length; i++) {
    const a = inv.args[i]!
    if (!a.startsWith('-') || a === '-') continue
    let f: HelpFlag | undefined
    let inlineValue: string | undefined
    if (a.startsWith('--')) {
      const [name, v] = a.slice(2).split(/=(.*)/s)
      inlineValue = v
      f = flags.find((x) => x.long === name)
      if (!f) { problems.push(`${where}: --${name} is not a flag of this script`); continue }
    } else {
      f = flags.find((x) => x.short === a.slice(1))
      if (!f) { problems.push(`${where}: ${a} is not a flag of this script`); continue }
    }
    if (f.takesValue) {
      const value = inlineValue ?? inv.args[++i]
      if (value === undefined || (inlineValue === undefined && value.startsWith('--'))) { problems.push(`${where}: --${f.long} needs a value`); continue }
      if (f.choices && !f.choices.includes(value)) problems.push(`${where}: --${f.long} ${value} is not one of ${f.choices.join(', ')}`)
    }
  }
  return problems
}

/** `uses:` must name a full commit SHA (with a "# vX.Y.Z" comment) or a version tag; never a branch or latest. */
export function checkActionPins(text: string, wf: Workflow, file: string): string[] {
  const problems: string[] = []
  for (const [job, j] of Object.entries(wf.jobs)) {
    for (const s of j.steps ?? []) {
      if (!s.uses) continue
      if (s.uses.startsWith('./')) continue
      const m = /^([\w.-]+\/[\w./-]+)@(.+)$/.exec(s.uses)
      if (!m) { problems.push(`${file} ${job}: uses ${s.uses} has no @ref`); continue }
      const ref = m[2]!
      if (/^[0-9a-f]{40}$/.test(ref)) {
        const line = text.split('\n').find((l) => l.includes(s.uses!))
        if (!line || !/#\s*v\d+(\.\d+){0,2}\s*$/.test(line)) problems.push(`${file} ${job}: ${s.uses} is pinned by SHA without a "# vX.Y.Z" comment`)
      } else if (!/^v\d+(\.\d+){0,2}$/.test(ref)) {
        problems.push(`${file} ${job}: ${s.uses} is not pinned (use a commit SHA or a version tag)`)
      }
    }
  }
  return problems
}

/** Each `install -m …` of a downloaded binary must come after a `sha256sum -c` in the same script. */
export function checkVerifiedInstalls(run: string): string[] {
  const problems: string[] = []
  let verified = 0
  let installs = 0
  for (const line of run.split('\n')) {
    if (/\bsha256sum\s+(-c|--check)\b/.test(line)) verified++
    const m = /\binstall\s+-m\s+\d+\s+(\S+)/.exec(line)
    if (m) {
      installs++
      if (verified < installs) problems.push(`installs ${m[1]} without a checksum verification before it`)
    }
  }
  return problems
}

/** The word "latest" anywhere (ubuntu-latest, releases/latest, :latest, @latest) means an unpinned version. */
export const mentionsLatest = (text: string): string[] =>
  text.split('\n').map((l, i) => [l, i + 1] as const).filter(([l]) => /\blatest\b/i.test(l.replace(/#.*$/, ''))).map(([l, n]) => `line ${n}: ${l.trim()}`)
