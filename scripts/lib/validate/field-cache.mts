// The unknown-field graph on disk, so that validate builds the TypeScript program only when something it was
// read from changed. Lives in node_modules/.cache (git-ignored, gone with node_modules). A cached graph is used
// only while every package it was read from (typescript, the model packages) is at the version it was read at;
// an unreadable, foreign or stale file is ignored and replaced. Writes are atomic, so concurrent runs are safe.

import fs from 'node:fs'
import path from 'node:path'
import type { FieldGraph } from './field-graph.mts'

const FORMAT = 1

export const DEFAULT_CACHE_FILE = path.resolve(import.meta.dirname, '..', '..', '..', 'node_modules', '.cache', 'kind-gitops-platform', 'validate-field-graph.json')

interface CacheFile {
  format: number
  /** package directory -> version, for every package a source of the graph belongs to */
  packages: Record<string, string>
  graph: FieldGraph
}

/** `/x/node_modules/@scope/name/lib/a.d.ts` -> `/x/node_modules/@scope/name` */
function packageDir(file: string): string | undefined {
  const marker = `${path.sep}node_modules${path.sep}`
  const at = file.lastIndexOf(marker)
  if (at === -1) return undefined
  const rest = file.slice(at + marker.length).split(path.sep)
  const name = rest[0]?.startsWith('@') ? rest.slice(0, 2) : rest.slice(0, 1)
  return path.join(file.slice(0, at + marker.length), ...name)
}

function versionOf(dir: string): string | undefined {
  try {
    return String((JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version)
  } catch {
    return undefined
  }
}

/** The cached graph, if it was read from the packages installed now; undefined otherwise. */
export function readFieldCache(file: string): FieldGraph | undefined {
  let data: CacheFile
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile
  } catch {
    return undefined
  }
  if (data?.format !== FORMAT || !data.graph?.nodes || !data.graph.roots || !data.packages) return undefined
  for (const [dir, version] of Object.entries(data.packages)) if (versionOf(dir) !== version) return undefined
  return data.graph
}

export function writeFieldCache(file: string, graph: FieldGraph): void {
  const packages: Record<string, string> = {}
  for (const dir of new Set(graph.sources.map(packageDir).filter((d): d is string => !!d))) {
    const v = versionOf(dir)
    if (v !== undefined) packages[dir] = v
  }
  const tmp = `${file}.${process.pid}.tmp`
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(tmp, JSON.stringify({ format: FORMAT, packages, graph } satisfies CacheFile))
    fs.renameSync(tmp, file)
  } catch {
    // a cache that cannot be written (read-only node_modules) only costs the next run the build again
    try { fs.rmSync(tmp, { force: true }) } catch { /* nothing to clean */ }
  }
}
