// The Helm add-ons of the platform, read from the GitOps files Flux reconciles (infrastructure/controllers):
// HelmRelease + its HelmRepository/OCIRepository + the configMapGenerator that turns values.yaml into the
// ConfigMap the release reads through valuesFrom. The same data drives a plain `helm upgrade --install`
// (metrics-server before Flux, and the no-Flux mode), so chart, version and values exist exactly once.
// Pure: reads files, never runs anything.

import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { EXIT, StepError } from '../shell/errors.mts'
import type { RuntimeValuesRef } from './runtime-values.mts'
import { parseGoDuration } from '../validate/duration.mts'
import { configMapGenerators, kustomizationRefs, readKustomization } from '../validate/kustomization-file.mts'

export interface AddonRepo {
  /** https: a classic chart repository (index.yaml); oci: an OCI registry */
  type: 'https' | 'oci'
  /** https: the repository URL (helm --repo); oci: the full chart reference, oci://host/path/<chart> */
  url: string
}

export interface Addon {
  /** Helm release name */
  name: string
  /** namespace the release is installed into */
  namespace: string
  chart: string
  /** exact chart version */
  version: string
  repo: AddonRepo
  /** absolute paths of the values files, in the order Helm must merge them (later wins) */
  valuesFiles: string[]
  /** optional valuesFrom ConfigMaps no generator defines: values the scripts supply at run time, merged after valuesFiles */
  runtimeValues: RuntimeValuesRef[]
  /** inline spec.values of the HelmRelease, merged after valuesFiles (none of ours use it) */
  values?: Record<string, unknown>
  /** release names of the add-ons that must be installed first */
  dependsOn: string[]
  /** Go duration from HelmRelease.spec.timeout (default 5m) */
  timeout: string
  timeoutMs: number
  /** whether the chart's CRDs are installed/upgraded (HelmRelease install.crds != Skip) */
  crds: boolean
  /** the HelmRelease object: where the add-on is declared */
  release: { name: string; namespace: string; file: string }
}

export const DEFAULT_ADDONS_DIR = path.join('infrastructure', 'controllers')
const DEFAULT_TIMEOUT = '5m'

type Obj = Record<string, any>
interface Placed { doc: Obj; namespace: string | undefined; file: string }
interface PlacedGenerator { name: string; namespace: string | undefined; files: Record<string, string>; file: string }

const fail = (message: string, file?: string) =>
  new StepError({ step: 'addons', message: file ? `${file}: ${message}` : message, hint: 'fix the add-on manifests under infrastructure/ (npx zx scripts/validate.mts shows every problem)', exitCode: EXIT.usage })

function readDocs(file: string): Obj[] {
  let docs: YAML.Document[]
  try {
    docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    throw fail(`cannot read: ${(e as Error).message}`, file)
  }
  const out: Obj[] = []
  for (const d of docs) {
    if (d.errors.length) throw fail(`not valid YAML: ${d.errors[0]!.message.split('\n')[0]}`, file)
    const v = d.toJS() as unknown
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Obj)
  }
  return out
}

/**
 * Walk a kustomization tree like kustomize does for namespaces: an outer `namespace:` overrides the inner ones
 * and the objects' own metadata.namespace.
 */
function collect(dir: string, outerNs: string | undefined, objects: Placed[], gens: PlacedGenerator[], seen: Set<string>): void {
  if (seen.has(dir)) return
  seen.add(dir)
  const k = readKustomization(dir)
  if (!k) throw fail(`no kustomization.yaml in ${dir}`)
  const ns = outerNs ?? (typeof k.data.namespace === 'string' ? k.data.namespace : undefined)
  for (const g of configMapGenerators(k)) gens.push({ name: g.name, namespace: ns ?? g.namespace, files: g.files, file: k.file })
  for (const ref of kustomizationRefs(k)) {
    if (ref.role !== 'resource' && ref.role !== 'component') continue
    if (!fs.existsSync(ref.abs)) throw fail(`${ref.field}: ${ref.value} does not exist`, k.file)
    if (fs.statSync(ref.abs).isDirectory()) collect(ref.abs, ns, objects, gens, seen)
    else for (const doc of readDocs(ref.abs)) objects.push({ doc, namespace: ns ?? doc.metadata?.namespace, file: ref.abs })
  }
}

const find = (objects: Placed[], kind: string, name: string, namespace: string) =>
  objects.find((o) => o.doc.kind === kind && o.doc.metadata?.name === name && (o.namespace ?? 'default') === namespace)

function resolveChart(hr: Placed, objects: Placed[]): { chart: string; version: string; repo: AddonRepo } {
  const ns = hr.namespace ?? 'default'
  const spec = hr.doc.spec ?? {}
  const where = `HelmRelease ${ns}/${hr.doc.metadata?.name}`
  if (spec.chartRef) {
    const ref = spec.chartRef as Obj
    if (ref.kind !== 'OCIRepository') throw fail(`${where}: chartRef kind ${ref.kind} is not supported for helm installs (use OCIRepository)`, hr.file)
    const src = find(objects, 'OCIRepository', ref.name, ref.namespace ?? ns)
    if (!src) throw fail(`${where}: chartRef OCIRepository ${ref.namespace ?? ns}/${ref.name} is not defined`, hr.file)
    const url = String(src.doc.spec?.url ?? '')
    const version = src.doc.spec?.ref?.tag
    if (!url.startsWith('oci://')) throw fail(`OCIRepository ${ref.name}: spec.url must start with oci://`, src.file)
    if (typeof version !== 'string' || !version) throw fail(`OCIRepository ${ref.name}: spec.ref.tag must pin the chart version`, src.file)
    return { chart: url.replace(/\/+$/, '').split('/').at(-1)!, version, repo: { type: 'oci', url } }
  }
  const chartSpec = spec.chart?.spec as Obj | undefined
  if (!chartSpec) throw fail(`${where}: needs spec.chart.spec or spec.chartRef`, hr.file)
  const ref = chartSpec.sourceRef as Obj | undefined
  if (ref?.kind !== 'HelmRepository') throw fail(`${where}: chart sourceRef kind ${ref?.kind} is not supported for helm installs (use HelmRepository)`, hr.file)
  const src = find(objects, 'HelmRepository', ref.name, ref.namespace ?? ns)
  if (!src) throw fail(`${where}: HelmRepository ${ref.namespace ?? ns}/${ref.name} is not defined`, hr.file)
  const chart = String(chartSpec.chart ?? '')
  const version = chartSpec.version
  if (typeof version !== 'string' || !version) throw fail(`${where}: spec.chart.spec.version must pin the chart version`, hr.file)
  const url = String(src.doc.spec?.url ?? '').replace(/\/+$/, '')
  const oci = src.doc.spec?.type === 'oci' || url.startsWith('oci://')
  return { chart, version, repo: oci ? { type: 'oci', url: `${url}/${chart}` } : { type: 'https', url } }
}

function resolveValues(hr: Placed, gens: PlacedGenerator[]): { files: string[]; runtime: RuntimeValuesRef[] } {
  const ns = hr.namespace ?? 'default'
  const files: string[] = []
  const runtime: RuntimeValuesRef[] = []
  const list = Array.isArray(hr.doc.spec?.valuesFrom) ? (hr.doc.spec.valuesFrom as Obj[]) : []
  list.forEach((v, i) => {
    const field = `spec.valuesFrom[${i}]`
    if (v.kind !== 'ConfigMap') throw fail(`HelmRelease ${ns}/${hr.doc.metadata?.name} ${field}: only ConfigMaps generated from files can be used outside Flux (got ${v.kind})`, hr.file)
    const gen = gens.find((g) => g.name === v.name && (g.namespace ?? 'default') === ns)
    const key = typeof v.valuesKey === 'string' ? v.valuesKey : 'values.yaml'
    if (!gen) {
      // optional and not in the repo: supplied at run time (lib/helm/runtime-values.mts) or absent
      if (v.optional === true) { runtime.push({ configMap: String(v.name), namespace: ns, key }); return }
      throw fail(`HelmRelease ${ns}/${hr.doc.metadata?.name} ${field}: no configMapGenerator named ${v.name} in namespace ${ns}`, hr.file)
    }
    if (runtime.length) throw fail(`HelmRelease ${ns}/${hr.doc.metadata?.name} ${field}: values files must come before the optional runtime ConfigMaps in valuesFrom`, hr.file)
    const file = gen.files[key]
    if (!file) throw fail(`configMapGenerator ${v.name} has no file for key ${key} (used by HelmRelease ${hr.doc.metadata?.name} ${field}.valuesKey)`, gen.file)
    files.push(file)
  })
  return { files, runtime }
}

/** Dependencies first; ties keep declaration order. Throws on cycles and on unknown names. */
export function orderAddons(addons: Addon[]): Addon[] {
  const byName = new Map(addons.map((a) => [a.name, a]))
  for (const a of addons) {
    for (const d of a.dependsOn) if (!byName.has(d)) throw fail(`${a.name} depends on ${d}, which is not an add-on`, a.release.file)
  }
  const out: Addon[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (a: Addon, chain: string[]) => {
    const s = state.get(a.name)
    if (s === 'done') return
    if (s === 'visiting') throw fail(`dependency cycle: ${[...chain, a.name].join(' -> ')}`, a.release.file)
    state.set(a.name, 'visiting')
    for (const d of a.dependsOn) visit(byName.get(d)!, [...chain, a.name])
    state.set(a.name, 'done')
    out.push(a)
  }
  for (const a of addons) visit(a, [])
  return out
}

/**
 * The add-ons declared under `<root>/<dir>` (default infrastructure/controllers), dependencies first.
 * Throws a StepError naming the file for anything a plain helm install could not reproduce.
 */
export function readAddons(root: string, dir: string = DEFAULT_ADDONS_DIR): Addon[] {
  const objects: Placed[] = []
  const gens: PlacedGenerator[] = []
  collect(path.resolve(root, dir), undefined, objects, gens, new Set())
  const releases = objects.filter((o) => o.doc.kind === 'HelmRelease' && String(o.doc.apiVersion ?? '').startsWith('helm.toolkit.fluxcd.io/'))
  const nameOf = (hr: Placed) => {
    const spec = hr.doc.spec ?? {}
    if (typeof spec.releaseName === 'string' && spec.releaseName) return spec.releaseName as string
    // helm-controller's default: <targetNamespace>-<name> when a target namespace is set
    return spec.targetNamespace ? `${spec.targetNamespace}-${hr.doc.metadata?.name}` : String(hr.doc.metadata?.name)
  }
  const addons = releases.map((hr): Addon => {
    const ns = hr.namespace ?? 'default'
    const values = resolveValues(hr, gens)
    const spec = hr.doc.spec ?? {}
    const timeout = typeof spec.timeout === 'string' ? spec.timeout : DEFAULT_TIMEOUT
    const timeoutMs = parseGoDuration(timeout)
    if (timeoutMs === undefined) throw fail(`HelmRelease ${ns}/${hr.doc.metadata?.name}: spec.timeout ${JSON.stringify(timeout)} is not a duration like 5m`, hr.file)
    const dependsOn = (Array.isArray(spec.dependsOn) ? (spec.dependsOn as Obj[]) : []).map((d) => {
      const target = releases.find((r) => r.doc.metadata?.name === d.name && (r.namespace ?? 'default') === (d.namespace ?? ns))
      if (!target) throw fail(`HelmRelease ${ns}/${hr.doc.metadata?.name}: dependsOn ${d.namespace ?? ns}/${d.name} is not a HelmRelease here`, hr.file)
      return nameOf(target)
    })
    return {
      name: nameOf(hr),
      namespace: typeof spec.targetNamespace === 'string' && spec.targetNamespace ? spec.targetNamespace : ns,
      ...resolveChart(hr, objects),
      valuesFiles: values.files,
      runtimeValues: values.runtime,
      ...(spec.values && typeof spec.values === 'object' ? { values: spec.values as Record<string, unknown> } : {}),
      dependsOn,
      timeout,
      timeoutMs,
      crds: spec.install?.crds !== 'Skip',
      release: { name: String(hr.doc.metadata?.name), namespace: ns, file: hr.file },
    }
  })
  const dup = addons.find((a, i) => addons.findIndex((b) => b.name === a.name) !== i)
  if (dup) throw fail(`two add-ons use the release name ${dup.name}`, dup.release.file)
  return orderAddons(addons)
}

/**
 * The chart part of `helm upgrade --install <name> ...`: the chart reference and the flags that locate and pin it.
 * https: [chart, --repo, url, --version, v]; oci: [oci://.../chart, --version, v].
 */
export function chartArgs(a: Addon): string[] {
  return a.repo.type === 'oci' ? [a.repo.url, '--version', a.version] : [a.chart, '--repo', a.repo.url, '--version', a.version]
}

/** Files under `<root>/<dir>` that declare Namespace objects: apply them before installing add-ons without Flux. */
export function namespaceFiles(root: string, dir: string = DEFAULT_ADDONS_DIR): string[] {
  const objects: Placed[] = []
  collect(path.resolve(root, dir), undefined, objects, [], new Set())
  return [...new Set(objects.filter((o) => o.doc.kind === 'Namespace' && o.doc.apiVersion === 'v1').map((o) => o.file))]
}
