// Reading kustomization files without building them: which files and directories a kustomization refers to
// (with the field that names each one), and what its generators produce. Shared by validate (reference
// checks, consumed files) and addons.mts (values files of the Helm add-ons).

import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'

/** The file names kustomize accepts, in its order of precedence. */
export const KUSTOMIZATION_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const

export interface KustomizationFile {
  /** absolute directory */
  dir: string
  /** absolute path of the kustomization file */
  file: string
  kind: 'Kustomization' | 'Component'
  data: Record<string, unknown>
}

export type RefExpect = 'file' | 'dir' | 'file-or-dir'

export interface KustomizationRef {
  /** field path inside the kustomization file, e.g. "resources[2]" or "configMapGenerator[0].files[1]" */
  field: string
  /** the path as written (relative to the kustomization directory) */
  value: string
  /** absolute path */
  abs: string
  expect: RefExpect
  /** what the reference is for: a resource/component to build, a patch, a generator input, ... */
  role: 'resource' | 'component' | 'patch' | 'generator' | 'config' | 'crd'
}

export interface GeneratedConfigMap {
  /** name as written in the generator (kustomize may add a hash suffix) */
  name: string
  /** namespace set on the generator itself, if any */
  namespace?: string
  /** data key -> absolute file path */
  files: Record<string, string>
  field: string
}

export function findKustomizationFile(dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILE_NAMES) {
    const f = path.join(dir, name)
    if (fs.existsSync(f) && fs.statSync(f).isFile()) return f
  }
  return undefined
}

export class KustomizationParseError extends Error {
  readonly file: string
  constructor(file: string, message: string) {
    super(message)
    this.file = file
  }
}

export function readKustomization(dir: string): KustomizationFile | undefined {
  const file = findKustomizationFile(dir)
  if (!file) return undefined
  let data: unknown
  try {
    data = YAML.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    throw new KustomizationParseError(file, `not valid YAML: ${(e as Error).message.split('\n')[0]}`)
  }
  if (data === null || data === undefined) data = {}
  if (typeof data !== 'object' || Array.isArray(data)) throw new KustomizationParseError(file, 'must be a YAML mapping')
  const d = data as Record<string, unknown>
  return { dir: path.dirname(file), file, kind: d.kind === 'Component' ? 'Component' : 'Kustomization', data: d }
}

const isRemote = (p: string) => /^(https?:\/\/|git@|ssh:\/\/|github\.com\/|oci:\/\/)/.test(p) || /\?ref=|\/\/.*\.git/.test(p)

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

/** `key=path` or `path` (key = basename) as used by configMapGenerator/secretGenerator `files`. */
export function splitGeneratorFile(entry: string): { key: string; file: string } {
  const i = entry.indexOf('=')
  if (i > 0) return { key: entry.slice(0, i), file: entry.slice(i + 1) }
  return { key: path.basename(entry), file: entry }
}

/** Every local path a kustomization names. Remote bases (URLs) are skipped: validate works offline. */
export function kustomizationRefs(k: KustomizationFile): KustomizationRef[] {
  const out: KustomizationRef[] = []
  const add = (field: string, value: string, expect: RefExpect, role: KustomizationRef['role']) => {
    if (!value || isRemote(value)) return
    out.push({ field, value, abs: path.resolve(k.dir, value), expect, role })
  }
  const d = k.data
  strings(d.resources).forEach((r, i) => add(`resources[${i}]`, r, 'file-or-dir', 'resource'))
  strings(d.bases).forEach((r, i) => add(`bases[${i}]`, r, 'dir', 'resource'))
  strings(d.components).forEach((r, i) => add(`components[${i}]`, r, 'dir', 'component'))
  strings(d.crds).forEach((r, i) => add(`crds[${i}]`, r, 'file', 'crd'))
  strings(d.configurations).forEach((r, i) => add(`configurations[${i}]`, r, 'file', 'config'))
  strings(d.generators).forEach((r, i) => add(`generators[${i}]`, r, 'file-or-dir', 'config'))
  strings(d.transformers).forEach((r, i) => add(`transformers[${i}]`, r, 'file-or-dir', 'config'))
  strings(d.validators).forEach((r, i) => add(`validators[${i}]`, r, 'file-or-dir', 'config'))
  strings(d.patchesStrategicMerge).forEach((r, i) => {
    // inline patches are YAML documents, not paths
    if (!r.includes('\n')) add(`patchesStrategicMerge[${i}]`, r, 'file', 'patch')
  })
  const objects = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object') : [])
  objects(d.patches).forEach((p, i) => { if (typeof p.path === 'string') add(`patches[${i}].path`, p.path, 'file', 'patch') })
  objects(d.patchesJson6902).forEach((p, i) => { if (typeof p.path === 'string') add(`patchesJson6902[${i}].path`, p.path, 'file', 'patch') })
  objects(d.replacements).forEach((p, i) => { if (typeof p.path === 'string') add(`replacements[${i}].path`, p.path, 'file', 'config') })
  if (d.openapi && typeof d.openapi === 'object' && typeof (d.openapi as Record<string, unknown>).path === 'string') {
    add('openapi.path', (d.openapi as Record<string, string>).path!, 'file', 'config')
  }
  for (const gen of ['configMapGenerator', 'secretGenerator'] as const) {
    objects(d[gen]).forEach((g, i) => {
      strings(g.files).forEach((f, j) => add(`${gen}[${i}].files[${j}]`, splitGeneratorFile(f).file, 'file', 'generator'))
      strings(g.envs).forEach((f, j) => add(`${gen}[${i}].envs[${j}]`, f, 'file', 'generator'))
      if (typeof g.env === 'string') add(`${gen}[${i}].env`, g.env, 'file', 'generator')
    })
  }
  return out
}

/** Problems with the paths a kustomization names: missing, or a file where a directory is needed. */
export function checkRefs(refs: KustomizationRef[]): { ref: KustomizationRef; message: string }[] {
  const problems: { ref: KustomizationRef; message: string }[] = []
  for (const ref of refs) {
    let stat: fs.Stats | undefined
    try { stat = fs.statSync(ref.abs) } catch { stat = undefined }
    if (!stat) { problems.push({ ref, message: `${ref.value}: no such file or directory` }); continue }
    if (ref.expect === 'dir' && !stat.isDirectory()) { problems.push({ ref, message: `${ref.value}: must be a directory with a kustomization` }); continue }
    if (ref.expect === 'file' && !stat.isFile()) { problems.push({ ref, message: `${ref.value}: must be a file` }); continue }
    if (stat.isDirectory() && (ref.role === 'resource' || ref.role === 'component') && !findKustomizationFile(ref.abs)) {
      problems.push({ ref, message: `${ref.value}: directory has no kustomization.yaml` })
    }
  }
  return problems
}

export function configMapGenerators(k: KustomizationFile): GeneratedConfigMap[] {
  const gens = Array.isArray(k.data.configMapGenerator) ? k.data.configMapGenerator : []
  const out: GeneratedConfigMap[] = []
  gens.forEach((g: unknown, i: number) => {
    if (!g || typeof g !== 'object') return
    const gen = g as Record<string, unknown>
    if (typeof gen.name !== 'string') return
    const files: Record<string, string> = {}
    for (const f of strings(gen.files)) {
      const { key, file } = splitGeneratorFile(f)
      files[key] = path.resolve(k.dir, file)
    }
    out.push({ name: gen.name, ...(typeof gen.namespace === 'string' ? { namespace: gen.namespace } : {}), files, field: `configMapGenerator[${i}]` })
  })
  return out
}
