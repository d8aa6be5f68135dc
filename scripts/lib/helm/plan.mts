// Which add-ons up installs with Helm, in which order, and whether a release is already what we want.
// Pure apart from reading the values files.

import fs from 'node:fs'
import YAML from 'yaml'
import type { Addon } from './addons.mts'
import type { FluxMode } from '../shell/config.mts'
import type { HelmReleaseInfo } from '../tools/helm.mts'

/** Needed before Flux has reconciled anything: the demo app's HPAs read CPU metrics from it. */
export const BEFORE_FLUX = ['metrics-server'] as const

/** FLUX_MODE=none installs everything; otherwise metrics-server plus whatever the user asked for (--helm). */
export function addonsToInstall(all: Addon[], mode: FluxMode, extra: string[] = []): Addon[] {
  const unknown = extra.filter((n) => !all.some((a) => a.name === n))
  if (unknown.length) throw new Error(`unknown add-on ${unknown.join(', ')} (add-ons: ${all.map((a) => a.name).join(', ')})`)
  if (mode === 'none') return all
  const wanted = new Set<string>([...BEFORE_FLUX, ...extra])
  // an add-on's dependencies come along
  let grew = true
  while (grew) {
    grew = false
    for (const a of all) if (wanted.has(a.name)) for (const d of a.dependsOn) if (!wanted.has(d)) { wanted.add(d); grew = true }
  }
  return all.filter((a) => wanted.has(a.name))
}

const isMap = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v)

/** Helm's merge of several -f files: maps merge key by key, anything else is replaced by the later file. */
export function mergeValues(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...a }
    for (const [k, v] of Object.entries(b)) out[k] = isMap(out[k]) && isMap(v) ? merge(out[k] as Record<string, unknown>, v) : v
    return out
  }
  return layers.reduce((acc, l) => merge(acc, l), {})
}

/**
 * The user-supplied values the release should have, in Flux's order: its values files, then the runtime values
 * (the optional valuesFrom ConfigMaps after them), then inline spec.values.
 */
export function desiredValues(a: Addon, runtime: Record<string, unknown>[] = []): Record<string, unknown> {
  const files = a.valuesFiles.map((f) => (YAML.parse(fs.readFileSync(f, 'utf8')) ?? {}) as Record<string, unknown>)
  return mergeValues(...files, ...runtime, ...(a.values ? [a.values] : []))
}

/** What `helm upgrade` gets on stdin (`--values -`) after the values files: runtime values, then inline values. */
export function stdinValues(a: Addon, runtime: Record<string, unknown>[] = []): Record<string, unknown> | undefined {
  const layers = [...runtime, ...(a.values ? [a.values] : [])]
  return layers.length ? mergeValues(...layers) : undefined
}

/** JSON-equal with object keys in any order */
export function sameValues(a: unknown, b: unknown): boolean {
  const canon = (v: unknown): unknown => (Array.isArray(v) ? v.map(canon) : isMap(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v)
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b))
}

export type ReleaseDecision = { action: 'skip' | 'install' | 'upgrade'; reason: string }

export function decideRelease(a: Addon, current: HelmReleaseInfo | undefined, currentValues: Record<string, unknown> | undefined, wanted: Record<string, unknown>): ReleaseDecision {
  const chart = `${a.chart}-${a.version}`
  if (!current) return { action: 'install', reason: `${a.name}: installing ${chart}` }
  if (current.status !== 'deployed') return { action: 'upgrade', reason: `${a.name}: release is ${current.status}` }
  if (current.chart !== chart) return { action: 'upgrade', reason: `${a.name}: ${current.chart} -> ${chart}` }
  if (currentValues === undefined || !sameValues(currentValues, wanted)) return { action: 'upgrade', reason: `${a.name}: values changed` }
  return { action: 'skip', reason: `${a.name}: ${chart} deployed with the same values` }
}

/**
 * Run `fn` for every add-on as soon as its dependencies (within the list) are done; independent ones in
 * parallel. The first failure stops new starts and is rethrown after the running ones settle.
 */
export async function inDependencyOrder<T>(addons: Addon[], fn: (a: Addon) => Promise<T>): Promise<Map<string, T>> {
  const names = new Set(addons.map((a) => a.name))
  const results = new Map<string, T>()
  const running = new Map<string, Promise<void>>()
  const done = new Set<string>()
  let failure: unknown
  for (;;) {
    if (failure === undefined) {
      for (const a of addons) {
        if (done.has(a.name) || running.has(a.name)) continue
        if (a.dependsOn.filter((d) => names.has(d)).every((d) => done.has(d))) {
          running.set(a.name, fn(a).then((r) => { results.set(a.name, r); done.add(a.name) }, (e: unknown) => { failure ??= e }).finally(() => running.delete(a.name)))
        }
      }
    }
    if (running.size === 0) break
    await Promise.race(running.values())
  }
  if (failure !== undefined) throw failure
  return results
}
