// validate, end to end: discover the GitOps files, check every kustomization's paths, build each one (through an
// injected builder: `kubectl kustomize` with Flux's options and origin annotations), then check every rendered
// object: schema, unknown fields, names, Flux durations, references, workload policy; plus kind configs.
// Every problem names the source file it comes from, the object and the field.

import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { indexCrds, crdKey, validateAgainstCrd } from './crd.mts'
import { discover } from './discover.mts'
import { createFieldChecker, type FieldChecker } from './fields.mts'
import { isKindConfig, kindConfigFindings } from './kind-config.mts'
import { checkRefs, kustomizationRefs, KustomizationParseError, readKustomization, type KustomizationFile } from './kustomization-file.mts'
import { objectFindings } from './object-checks.mts'
import { takeOrigin } from './origin.mts'
import { workloadFindings } from './policy.mts'
import { referenceFindings } from './references.mts'
import { loadModel } from './schema.mts'
import { DEFAULT_SCHEMA_CACHE_FILE, openSchemaCatalog, type KindFacts } from './schema-cache.mts'
import { DEFAULT_CACHE_FILE as DEFAULT_FIELD_CACHE_FILE } from './field-cache.mts'
import { objectId, type Problem, type Severity, type SourcedObject } from './types.mts'

export interface BuildResult {
  ok: boolean
  stdout: string
  stderr: string
  /** directory the origin annotations' relative paths start from */
  originBase: string
}

export type Builder = (dir: string) => Promise<BuildResult>

export interface ValidateOptions {
  root: string
  build: Builder
  /** parallel builds (default 2) */
  concurrency?: number
  onBuildDone?(done: number, total: number, dir: string): void
  /**
   * where the caches live (the unknown-field graph, schema results of objects seen before); false: no cache.
   * Default: node_modules/.cache/kind-gitops-platform.
   */
  cacheDir?: string | false
}

export interface SkippedFile {
  file: string
  reason: string
}

export interface ValidateResult {
  root: string
  problems: Problem[]
  skipped: SkippedFile[]
  counts: {
    yamlFiles: number
    kustomizations: number
    builds: number
    buildsFailed: number
    objects: number
    standaloneObjects: number
    kindConfigs: number
    errors: number
    warnings: number
    /** `kubectl kustomize` runs: kustomizations built inside a parent that built are not built again alone */
    buildRuns?: number
  }
  /** whether unknown fields were checked (needs the typescript package, or a cached field graph) */
  unknownFieldCheck: boolean
  /** where the unknown-field graph came from: the cache, or the TypeScript declarations (then cached) */
  fieldGraph?: 'cache' | 'typescript'
  /** objects whose schema result was read from the cache, and objects validated by their model */
  schemaResults?: { cached: number; validated: number }
  elapsedMs: number
}

interface ParsedYaml { file: string; docs: unknown[]; error?: { message: string; line?: number } }

function parseYamlFile(file: string): ParsedYaml {
  const text = fs.readFileSync(file, 'utf8')
  const docs: unknown[] = []
  for (const d of YAML.parseAllDocuments(text, { prettyErrors: true })) {
    const err = d.errors[0]
    if (err) return { file, docs, error: { message: err.message.split('\n')[0]!, ...(err.linePos?.[0] ? { line: err.linePos[0].line } : {}) } }
    docs.push(d.toJS())
  }
  return { file, docs }
}

const isK8sObject = (d: unknown): d is Record<string, any> =>
  !!d && typeof d === 'object' && !Array.isArray(d) && typeof (d as any).apiVersion === 'string' && typeof (d as any).kind === 'string'

export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++]!
      await fn(item)
    }
  })
  await Promise.all(workers)
}

/** First meaningful line(s) of kustomize's error output, without klog prefixes. */
export function summarizeBuildError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean)
  const text = lines.map((l) => l.replace(/^E\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=/, '').replace(/^error: /, '')).join(' ')
  return text.replace(/^"(.*)"$/, '$1').slice(0, 600) || 'kustomize build failed'
}

export async function validateRepo(opts: ValidateOptions): Promise<ValidateResult> {
  const t0 = Date.now()
  const root = path.resolve(opts.root)
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/') || '.'
  const problems: Problem[] = []
  const skipped: SkippedFile[] = []
  const problem = (p: Omit<Problem, 'severity'> & { severity?: Severity }) => problems.push({ severity: 'error', ...p })

  const found = discover(root)
  const cacheFile = (name: string, fallback: string) => (opts.cacheDir === false ? false : opts.cacheDir ? path.join(opts.cacheDir, name) : fallback)
  const catalog = openSchemaCatalog(cacheFile('validate-schema-results.json', DEFAULT_SCHEMA_CACHE_FILE))

  // 1. every YAML file parses (most are parsed while the builds run, see below)
  const parsed = new Map<string, ParsedYaml>()
  const parse = (f: string): ParsedYaml => {
    let p = parsed.get(f)
    if (!p) parsed.set(f, (p = parseYamlFile(f)))
    return p
  }
  const parseAll = () => {
    for (const f of found.yamlFiles) {
      const p = parse(f)
      if (p.error) problem({ rule: 'yaml', file: rel(f), ...(p.error.line ? { field: `line ${p.error.line}` } : {}), message: `not valid YAML: ${p.error.message}` })
    }
  }

  // the schema models are the slow part of the checks (hundreds of modules): unless the schema results of earlier
  // runs make most of them unnecessary, start loading the ones the sources name now, so that it overlaps the
  // builds (kustomize adds no kinds but generated ConfigMaps and Secrets)
  const preload = () => {
    if (catalog.warm) return
    for (const p of parsed.values()) for (const d of p.docs) if (isK8sObject(d)) void loadModel(d.apiVersion, d.kind)
    void loadModel('v1', 'ConfigMap')
    void loadModel('v1', 'Secret')
  }

  // 2. kustomization files: their paths exist; which files they consume; which kustomizations are bases of others
  const kfiles = new Map<string, KustomizationFile>()
  const refCount = new Map<string, number>()
  const consumed = new Set<string>()
  const children = new Map<string, Set<string>>()
  const refBroken = new Set<string>()
  const referencedDirs = new Set<string>()
  /** resource file -> the kustomization file that lists it */
  const listedBy = new Map<string, string>()
  for (const dir of found.kustomizations) {
    let k: KustomizationFile | undefined
    try { k = readKustomization(dir) } catch (e) {
      if (e instanceof KustomizationParseError) { refBroken.add(dir); consumed.add(e.file); if (!parse(e.file).error) problem({ rule: 'kustomize/file', file: rel(e.file), message: e.message }) ; continue }
      throw e
    }
    if (!k) continue
    kfiles.set(dir, k)
    consumed.add(k.file)
    const refs = kustomizationRefs(k)
    refCount.set(dir, refs.length)
    const kids = new Set<string>()
    for (const r of refs) if (r.role === 'resource' && !listedBy.has(r.abs)) listedBy.set(r.abs, k.file)
    for (const r of refs) {
      if ((r.role === 'resource' || r.role === 'component') && fs.existsSync(r.abs) && fs.statSync(r.abs).isDirectory()) { kids.add(r.abs); referencedDirs.add(r.abs) }
      else consumed.add(r.abs)
    }
    children.set(dir, kids)
    for (const { ref, message } of checkRefs(refs)) {
      refBroken.add(dir)
      problem({ rule: 'kustomize/path', file: rel(k.file), field: ref.field, message })
    }
  }

  // 3. build every kustomization (components cannot be built alone). Kustomize builds a base completely on its
  //    own inside every parent that lists it, so a base whose parent built has built too: it is built alone only
  //    when no parent built it (it is a root, or its parents failed or could not be built: its own build then pins
  //    the error on it). Roots first, then the bases of what failed.
  const buildable = [...kfiles.values()].filter((k) => k.kind === 'Kustomization' && !refBroken.has(k.dir)).map((k) => k.dir)
  const parents = new Map<string, string[]>()
  for (const [dir, kids] of children) for (const c of kids) parents.set(c, [...(parents.get(c) ?? []), dir])
  const outputs = new Map<string, SourcedObject[]>()
  const buildErrors = new Map<string, string>()
  let done = 0
  let planned = 0
  const buildOne = async (dir: string) => {
    const res = await opts.build(dir)
    done++
    opts.onBuildDone?.(done, planned, dir)
    if (!res.ok) { buildErrors.set(dir, summarizeBuildError(res.stderr || res.stdout)); return }
    const objs: SourcedObject[] = []
    const kfile = kfiles.get(dir)!.file
    try {
      for (const d of YAML.parseAllDocuments(res.stdout)) {
        const doc = d.toJS() as unknown
        if (!isK8sObject(doc)) continue
        const origin = takeOrigin(doc, res.originBase, kfile)
        objs.push({ doc, file: origin.file, patchedBy: origin.patchedBy, build: dir })
        // load the schema model while the other builds run (the imports are the slow part of the checks)
        if (!catalog.warm) void loadModel(doc.apiVersion, doc.kind)
      }
    } catch (e) {
      buildErrors.set(dir, `could not read kustomize output: ${(e as Error).message}`)
      return
    }
    outputs.set(dir, objs)
  }
  // the biggest builds first, so that parallel builds end together (size: files listed, through the bases)
  const size = (dir: string, seen = new Set<string>()): number => {
    seen.add(dir)
    let n = refCount.get(dir) ?? 0
    for (const c of children.get(dir) ?? []) if (!seen.has(c)) n += size(c, seen)
    return n
  }
  const biggestFirst = (dirs: string[]) => dirs.map((d) => [d, size(d)] as const).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([d]) => d)
  const runBuilds = async () => {
    const pending = new Set(buildable)
    while (pending.size > 0) {
      const ready = [...pending].filter((d) => (parents.get(d) ?? []).every((p) => !pending.has(p)))
      const wave = ready.length ? ready : [...pending] // a cycle: let kustomize report it
      for (const d of wave) pending.delete(d)
      const alone = wave.filter((d) => !(parents.get(d) ?? []).some((p) => outputs.has(p)))
      planned += alone.length
      await pool(biggestFirst(alone), opts.concurrency ?? 2, buildOne)
    }
  }
  const building = runBuilds()
  parseAll()
  preload()
  await building

  // 2b. a listed manifest that holds no object (emptied by mistake) builds fine and silently renders nothing
  //     (checked once the sources are parsed, which happens while the builds run)
  for (const [file, kfile] of listedBy) {
    const p = parsed.get(file)
    if (!p || p.error || !p.docs.every((d) => d === null || d === undefined)) continue
    problem({ rule: 'yaml/empty', file: rel(file), message: `holds no Kubernetes object (the file is empty), yet ${rel(kfile)} lists it as a resource: nothing is rendered from it` })
  }
  // a failure that is only the echo of a broken base is reported once, at the base
  const brokenBelow = (dir: string, seen = new Set<string>()): boolean => {
    for (const c of children.get(dir) ?? []) {
      if (seen.has(c)) continue
      seen.add(c)
      if (refBroken.has(c) || buildErrors.has(c) || brokenBelow(c, seen)) return true
    }
    return false
  }
  for (const [dir, message] of buildErrors) {
    if (!brokenBelow(dir)) problem({ rule: 'kustomize/build', file: rel(kfiles.get(dir)!.file), message })
  }

  // 4. the objects to judge: builds of kustomizations no other kustomization includes (what Flux applies), plus
  //    plain manifests under a Flux Kustomization path without kustomization.yaml (Flux then generates one
  //    listing every manifest below it). YAML elsewhere is not applied by anything: tool configs (kind,
  //    netpol assertions) are skipped; a stray manifest of a known kind is a warning.
  const rootDirs = buildable.filter((d) => !referencedDirs.has(d))
  const objects: SourcedObject[] = rootDirs.flatMap((d) => outputs.get(d) ?? [])
  const isFluxKs = (d: Record<string, any>) => d.kind === 'Kustomization' && String(d.apiVersion).startsWith('kustomize.toolkit.fluxcd.io/') && typeof d.spec?.path === 'string'
  const fluxPathDocs = [...objects.map((o) => o.doc), ...[...parsed.values()].flatMap((p) => p.docs.filter(isK8sObject))].filter(isFluxKs)
  const fluxPaths = new Set(fluxPathDocs.map((d) => path.resolve(root, d.spec.path)))
  /** the Flux path whose generated kustomization would include `file`, if any */
  const generatedBy = (file: string): string | undefined => {
    for (let dir = path.dirname(file); dir.startsWith(root) && dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if (kfiles.has(dir)) return undefined
      if (fluxPaths.has(dir)) return dir
    }
    return undefined
  }
  let standaloneObjects = 0
  let kindConfigs = 0
  for (const file of found.yamlFiles) {
    const p = parse(file)
    if (p.error || consumed.has(file)) continue
    const docs = p.docs.filter((d) => d !== null && d !== undefined)
    const kinds = docs.filter(isKindConfig) as Record<string, any>[]
    for (const d of kinds) {
      kindConfigs++
      for (const f of kindConfigFindings(d)) problem({ rule: f.rule, file: rel(file), object: { apiVersion: String(d.apiVersion), kind: 'Cluster', name: String(d.name ?? 'kind') }, field: f.field, message: f.message })
    }
    const objs = docs.filter((d) => isK8sObject(d) && !isKindConfig(d)) as Record<string, any>[]
    if (objs.length === 0) {
      if (kinds.length === 0) skipped.push({ file: rel(file), reason: 'not a Kubernetes manifest' })
      continue
    }
    if (kfiles.has(path.dirname(file))) {
      problem({ severity: 'warning', rule: 'kustomize/unused-file', file: rel(file), message: `not listed in ${rel(kfiles.get(path.dirname(file))!.file)}, so Flux never applies it` })
      continue
    }
    if (generatedBy(file)) {
      for (const doc of objs) { objects.push({ doc, file, patchedBy: [], build: file }); standaloneObjects++ }
      continue
    }
    const known: Record<string, any>[] = []
    for (const d of objs) if (await catalog.kind(d.apiVersion, d.kind)) known.push(d)
    if (known.length) {
      problem({ severity: 'warning', rule: 'flux/unapplied', file: rel(file), object: objectId(known[0]!), message: 'in no kustomization and under no Flux Kustomization path: nothing applies this manifest' })
    } else {
      skipped.push({ file: rel(file), reason: `not applied to the cluster (${[...new Set(objs.map((d) => `${d.apiVersion} ${d.kind}`))].join(', ')})` })
    }
  }

  // 5. per-object checks
  const crds = indexCrds([...objects, ...[...outputs.values()].flat()].map((o) => o.doc))
  const models = new Map<string, KindFacts | undefined>()
  for (const o of objects) {
    const key = crdKey(o.doc.apiVersion, o.doc.kind)
    if (!models.has(key)) models.set(key, await catalog.kind(o.doc.apiVersion, o.doc.kind))
  }
  const fieldRoots = [...models.values()].flatMap((m) => (m?.dts ? [{ dts: m.dts, kind: m.kind }] : []))
  const fields: FieldChecker | undefined = fieldRoots.length ? await createFieldChecker(fieldRoots, { cacheFile: cacheFile('validate-field-graph.json', DEFAULT_FIELD_CACHE_FILE) }) : undefined

  const objectProblem = (o: SourcedObject, rule: string, field: string | undefined, message: string, severity: Severity = 'error') =>
    problem({
      severity,
      rule,
      file: rel(o.file),
      object: objectId(o.doc),
      ...(field ? { field } : {}),
      message,
      ...(o.patchedBy.length ? { patchedBy: o.patchedBy.map(rel) } : {}),
    })

  for (const o of objects) {
    const key = crdKey(o.doc.apiVersion, o.doc.kind)
    const model = models.get(key)
    const crd = crds.get(key)
    if (model) {
      for (const e of await catalog.validate(o.doc)) objectProblem(o, 'schema', e.field || undefined, e.message)
      if (fields && model.dts) for (const u of fields.check(o.doc, model.dts, o.doc.kind)) objectProblem(o, 'schema/unknown-field', u.field, u.message)
    } else if (crd) {
      for (const e of validateAgainstCrd(o.doc, crd)) objectProblem(o, 'schema', e.field || undefined, e.message)
    } else {
      objectProblem(o, 'schema/unknown-kind', 'apiVersion', `no schema for ${o.doc.apiVersion} ${o.doc.kind}: not a built-in, Flux, Gateway API, Prometheus Operator or cert-manager kind, and no CustomResourceDefinition for it in the repository`)
    }
    for (const f of objectFindings(o.doc)) objectProblem(o, f.rule, f.field, f.message)
    for (const f of workloadFindings(o.doc)) objectProblem(o, f.rule, f.field, f.message)
  }

  // 6. references across everything the repository renders
  for (const f of referenceFindings(objects, root)) objectProblem(f.object, f.rule, f.field, f.message, f.severity ?? 'error')

  // 7. a kustomization under infrastructure/ or apps/ that no Flux Kustomization points at is never deployed
  for (const d of rootDirs) {
    const top = rel(d).split('/')[0]
    if ((top === 'infrastructure' || top === 'apps') && !fluxPaths.has(d)) {
      problem({ severity: 'warning', rule: 'flux/unreferenced', file: rel(kfiles.get(d)!.file), message: 'no Flux Kustomization in the repository has this directory as spec.path, so it is never deployed' })
    }
  }

  catalog.save()
  const unique = dedupe(problems)
  return {
    root,
    problems: unique,
    skipped,
    counts: {
      yamlFiles: found.yamlFiles.length,
      kustomizations: kfiles.size,
      builds: buildable.length,
      buildsFailed: buildErrors.size,
      objects: objects.length,
      standaloneObjects,
      kindConfigs,
      errors: unique.filter((p) => p.severity === 'error').length,
      warnings: unique.filter((p) => p.severity === 'warning').length,
      buildRuns: planned,
    },
    unknownFieldCheck: fields !== undefined || fieldRoots.length === 0,
    ...(fields ? { fieldGraph: fields.source } : {}),
    schemaResults: { ...catalog.stats },
    elapsedMs: Date.now() - t0,
  }
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>()
  const out: Problem[] = []
  for (const p of problems) {
    const key = JSON.stringify([p.severity, p.rule, p.file, p.object, p.field, p.message])
    if (seen.has(key)) continue
    seen.add(key)
    out.push(p)
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1))
}
