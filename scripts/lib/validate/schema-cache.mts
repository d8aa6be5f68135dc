// Schema results on disk. Validating an object against its kind's schema is a pure function of the object and
// the installed model packages, and loading the models (hundreds of modules) is most of validate's own time. So
// an object validated before, with the same packages, is not validated again: its errors are read back, and a
// run whose objects are all known loads no model at all. Entries are keyed by the object's content; the file is
// trusted only while npm's record of the installed packages (node_modules/.package-lock.json) and schema.mts
// are what they were, so an upgrade or a change of the error mapping starts afresh. Without that record nothing
// is cached. Lives in node_modules/.cache; writes are atomic.

import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { loadModel, type SchemaError } from './schema.mts'

const FORMAT = 1
/** entries kept: this run's objects first, then earlier ones (edits leave old versions behind) */
const MAX_RESULTS = 5000

const NODE_MODULES = path.resolve(import.meta.dirname, '..', '..', '..', 'node_modules')
export const DEFAULT_SCHEMA_CACHE_FILE = path.join(NODE_MODULES, '.cache', 'kind-gitops-platform', 'validate-schema-results.json')

/** What validate needs to know about a kind without loading its model. */
export interface KindFacts {
  apiVersion: string
  kind: string
  /** absolute path of the model's .d.ts (for the unknown-field check) */
  dts: string | undefined
}

export interface SchemaCatalog {
  /** the kind's facts, or undefined when no installed package models it */
  kind(apiVersion: string, kind: string): Promise<KindFacts | undefined>
  /** schema errors of `doc` (whose kind has a model) */
  validate(doc: Record<string, any>): Promise<SchemaError[]>
  /** true when the file held results for the installed packages (loading every model up front would be waste) */
  readonly warm: boolean
  readonly stats: { cached: number; validated: number }
  /** write what this run learned */
  save(): void
}

interface CacheFile {
  format: number
  fingerprint: string
  /** `<apiVersion>\u0000<kind>` -> .d.ts of its model ('' when it has none), or null: no model */
  kinds: Record<string, string | null>
  /** content hash -> schema errors */
  results: Record<string, SchemaError[]>
}

function fingerprint(): string | undefined {
  try {
    return crypto.createHash('sha256')
      .update(String(FORMAT))
      .update(fs.readFileSync(path.join(NODE_MODULES, '.package-lock.json')))
      .update(fs.readFileSync(path.join(import.meta.dirname, 'schema.mts')))
      .digest('hex')
  } catch {
    return undefined
  }
}

const kindKey = (apiVersion: string, kind: string) => `${apiVersion}\u0000${kind}`
const docKey = (doc: Record<string, any>) => crypto.createHash('sha256').update(JSON.stringify(doc)).digest('base64url')

/** A catalog over `file` (false: no file, every kind loaded and every object validated). */
export function openSchemaCatalog(file: string | false = DEFAULT_SCHEMA_CACHE_FILE): SchemaCatalog {
  const print = file ? fingerprint() : undefined
  let known: CacheFile | undefined
  if (file && print) {
    try {
      const data = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile
      if (data?.format === FORMAT && data.fingerprint === print && data.kinds && data.results) known = data
    } catch { /* absent or unreadable: start afresh */ }
  }
  const kinds: Record<string, string | null> = { ...known?.kinds }
  const used = new Map<string, SchemaError[]>()
  const stats = { cached: 0, validated: 0 }

  const catalog: SchemaCatalog = {
    warm: known !== undefined && Object.keys(known.results).length > 0,
    stats,
    async kind(apiVersion, kind) {
      const k = kindKey(apiVersion, kind)
      if (k in kinds) return kinds[k] === null ? undefined : { apiVersion, kind, dts: kinds[k] || undefined }
      const model = await loadModel(apiVersion, kind)
      kinds[k] = model ? model.dts ?? '' : null
      return model ? { apiVersion, kind, dts: model.dts } : undefined
    },
    async validate(doc) {
      const key = docKey(doc)
      const hit = used.get(key) ?? known?.results[key]
      if (hit) {
        stats.cached++
        used.set(key, hit)
        return hit
      }
      const model = await loadModel(String(doc.apiVersion), String(doc.kind))
      const errors = model ? model.validate(doc) : []
      stats.validated++
      used.set(key, errors)
      return errors
    },
    save() {
      if (!file || !print || stats.validated === 0 && known && Object.keys(kinds).length === Object.keys(known.kinds).length) return
      const results: Record<string, SchemaError[]> = Object.fromEntries(used)
      for (const [k, v] of Object.entries(known?.results ?? {})) {
        if (Object.keys(results).length >= MAX_RESULTS) break
        if (!(k in results)) results[k] = v
      }
      const tmp = `${file}.${process.pid}.tmp`
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true })
        fs.writeFileSync(tmp, JSON.stringify({ format: FORMAT, fingerprint: print, kinds, results } satisfies CacheFile))
        fs.renameSync(tmp, file)
      } catch {
        // read-only node_modules: the next run validates again, nothing worse
        try { fs.rmSync(tmp, { force: true }) } catch { /* nothing to clean */ }
      }
    },
  }
  return catalog
}
