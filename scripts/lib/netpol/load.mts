// Reading the offline input: YAML files, directories of YAML, and Kustomize directories.
//
// - a file: every YAML document in it;
// - a directory with a kustomization.yaml at its root: rendered (`kubectl kustomize`), like Flux would;
// - any other directory: searched recursively for *.yaml / *.yml. A sub-directory that holds a
//   kustomization is rendered as one unit instead of being read file by file (its files are patches and
//   bases, not objects) - unless another kustomization found in the same walk uses it as a resource
//   (apps/base is rendered through apps/overlays/<env>, not on its own). Components are never rendered alone.
// Rendering is injected (`render`), so this module does no process I/O and tests can stub it.

import fs from 'node:fs'
import path from 'node:path'
import { parseAllDocuments, parse as parseYaml } from 'yaml'
import type { SourcedObject } from './objects.mts'

export type Render = (dir: string) => Promise<string>

export class LoadError extends Error {
  readonly file: string
  constructor(file: string, message: string) {
    super(`${file}: ${message}`)
    this.name = 'LoadError'
    this.file = file
  }
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']
const SKIP_DIRS = new Set(['node_modules', '.git', '.platform'])

export function kustomizationFile(dir: string): string | undefined {
  for (const f of KUSTOMIZATION_FILES) {
    const p = path.join(dir, f)
    if (fs.existsSync(p)) return p
  }
  return undefined
}

/** "line 4: <what>" for a YAML parser error (the yaml package appends "at line 4, column 1:" and a code frame). */
export function yamlErrorText(e: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }): string {
  const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
  return e.linePos?.[0] ? `line ${e.linePos[0].line}: ${what}` : what
}

/** Every document of a YAML text as an object, with `file#index` as its source. */
export function parseYamlDocuments(text: string, file: string): SourcedObject[] {
  const out: SourcedObject[] = []
  parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length > 0) throw new LoadError(file, `not valid YAML: ${doc.errors[0] ? yamlErrorText(doc.errors[0]) : `document ${i + 1}`}`)
    const obj = doc.toJS({ maxAliasCount: 100 }) as unknown
    if (obj !== null && obj !== undefined) out.push({ obj, source: `${file}#${i + 1}` })
  })
  return out
}

/** Directories a kustomization pulls in as resources/bases/components (absolute paths). */
function referencedDirs(kfile: string): string[] {
  let k: unknown
  try {
    k = parseYaml(fs.readFileSync(kfile, 'utf8'))
  } catch {
    return []
  }
  if (typeof k !== 'object' || k === null) return []
  const rec = k as Record<string, unknown>
  const refs = [rec.resources, rec.bases, rec.components].flatMap((v) => (Array.isArray(v) ? v : [])).filter((v): v is string => typeof v === 'string' && !v.includes('://'))
  const base = path.dirname(kfile)
  return refs.map((r) => path.resolve(base, r)).filter((p) => fs.existsSync(p) && fs.statSync(p).isDirectory())
}

interface Walk {
  files: string[]
  kustomizations: string[]
}

function isComponent(kfile: string): boolean {
  try {
    return (parseYaml(fs.readFileSync(kfile, 'utf8')) as { kind?: unknown } | null)?.kind === 'Component'
  } catch {
    return false
  }
}

function walk(dir: string, acc: Walk): void {
  const kfile = kustomizationFile(dir)
  if (kfile) {
    // a Component only means something inside the kustomization that includes it
    if (!isComponent(kfile)) acc.kustomizations.push(dir)
    return
  }
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))
  for (const e of entries) {
    if (e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue
    const p = path.join(dir, e.name)
    if (e.isDirectory()) walk(p, acc)
    else if (e.isFile() && /\.ya?ml$/i.test(e.name)) acc.files.push(p)
  }
}

export interface LoadOptions {
  render?: Render
  /** base for the relative file names shown in messages (default: cwd) */
  cwd?: string
}

export async function loadInputs(inputs: readonly string[], options: LoadOptions = {}): Promise<SourcedObject[]> {
  const cwd = options.cwd ?? process.cwd()
  const rel = (p: string) => path.relative(cwd, p) || '.'
  const files: string[] = []
  const kustomizations: string[] = []
  for (const input of inputs) {
    const abs = path.resolve(cwd, input)
    if (!fs.existsSync(abs)) throw new LoadError(input, 'no such file or directory')
    if (fs.statSync(abs).isDirectory()) {
      const acc: Walk = { files: [], kustomizations: [] }
      walk(abs, acc)
      files.push(...acc.files)
      // a kustomization used by another one in the same walk is rendered through that one only
      const used = new Set(acc.kustomizations.flatMap((k) => referencedDirs(kustomizationFile(k) as string)))
      kustomizations.push(...acc.kustomizations.filter((k) => !used.has(k)))
    } else {
      files.push(abs)
    }
  }
  const out: SourcedObject[] = []
  for (const f of files) out.push(...parseYamlDocuments(fs.readFileSync(f, 'utf8'), rel(f)))
  for (const k of kustomizations) {
    if (!options.render) throw new LoadError(rel(k), 'is a Kustomize directory, and rendering is not available here')
    let text: string
    try {
      text = await options.render(k)
    } catch (e) {
      throw renderFailure(k, e, rel)
    }
    out.push(...parseYamlDocuments(text, `${rel(k)} (kustomize)`))
  }
  return out
}

/**
 * Why a kustomization did not render, named by file and line: kustomize reports a YAML error as
 * `invalid Kustomization: yaml: line 67: ...` inside a klog line, without saying which file of the tree it means.
 * So the YAML of the tree (kustomization files, the files they list, the directories they pull in) is parsed here
 * and the first file that does not parse is named; otherwise kustomize's own words, without the klog prefix.
 */
export function renderFailure(dir: string, e: unknown, rel: (p: string) => string): LoadError {
  const seen = new Set<string>()
  const visit = (d: string): LoadError | undefined => {
    if (seen.has(d)) return undefined
    seen.add(d)
    const kfile = kustomizationFile(d)
    if (!kfile) return undefined
    const files = [kfile]
    let k: unknown
    try { k = parseYaml(fs.readFileSync(kfile, 'utf8')) } catch { k = undefined }
    const rec = (typeof k === 'object' && k !== null ? k : {}) as Record<string, unknown>
    for (const r of ['resources', 'bases', 'components', 'patchesStrategicMerge'].flatMap((f) => (Array.isArray(rec[f]) ? rec[f] as unknown[] : []))) {
      if (typeof r !== 'string' || r.includes('://')) continue
      const p = path.resolve(d, r)
      if (fs.existsSync(p) && fs.statSync(p).isFile() && /\.ya?ml$/i.test(p)) files.push(p)
    }
    for (const f of files) {
      const bad = parseAllDocuments(fs.readFileSync(f, 'utf8')).flatMap((doc) => doc.errors)[0]
      if (bad) return new LoadError(rel(f), `not valid YAML: ${yamlErrorText(bad)}`)
    }
    for (const sub of referencedDirs(kfile)) {
      const found = visit(sub)
      if (found) return found
    }
    return undefined
  }
  const located = visit(dir)
  if (located) return located
  const raw = e instanceof Error ? e.message : String(e)
  // klog: E1203 12:30:52.968503 3149 run.go:72] "command failed" err="invalid Kustomization: ..."
  const said = /err="(.*)"\s*(\[|$)/.exec(raw)?.[1] ?? raw.replace(/^failed with exit code \d+: /, '')
  return new LoadError(rel(dir), `kustomize could not build it: ${said.replace(/\\"/g, '"')}`)
}

/** What `--repo` checks: the repository's GitOps content that can hold workloads and policies. */
export function repoInputs(root: string): string[] {
  return ['apps', 'infrastructure'].map((d) => path.join(root, d)).filter((d) => fs.existsSync(d))
}
