// What the suite wrote into the state dir, so `down` removes exactly that and never anything else (a STATE_DIR
// that points at someone's own folder keeps every file it had).
//
// The record is an append-only journal, <state dir>/manifest.jsonl, one JSON object per line:
//   {"path":".","dir":true}                 the state dir itself was created by the suite (down may rmdir it)
//   {"path":"diagnostics","dir":true}       a sub-directory the suite created
//   {"path":"state.json"}                   a file the suite wrote
//   {"path":"ca/ca.key","keep":true}        a file kept by a plain `down`, removed only with --all
//   {"legacy":true}                         the dir predates the journal: the files an older version is known to
//                                           write (by exact name) count as the suite's too
// Why a journal and not a JSON file: lines are appended with O_APPEND, so a process that writes here without the
// run lock (`forward` records its port-forwards while `up` runs) never loses another's entry, and a torn last
// line is skipped. The last line for a path wins. Entries are recorded BEFORE the file is written: a crash in
// between leaves an entry for a missing file (harmless), never a file nobody recorded.

import fs from 'node:fs'
import path from 'node:path'

export const MANIFEST_FILE = 'manifest.jsonl'

export interface ManifestEntry {
  /** relative to the state dir, '/'-separated; '.' is the state dir itself */
  path: string
  dir?: boolean
  /** kept by a plain `down` (a local CA, caches); `down --all` removes it */
  keep?: boolean
}

export interface Manifest {
  exists: boolean
  /** the dir was an older version's state dir when the journal started */
  legacy: boolean
  entries: Map<string, ManifestEntry>
}

/** Files an older version (without the journal) wrote, by exact name. */
export const LEGACY_FILES: readonly string[] = ['state.json', 'last-run.json', 'forwards.json', 'kind-config.yaml', 'artifact-files.json', 'grafana-admin-password']
/** The diagnostics bundles an older version wrote: diagnostics/<ISO time with - for : and .>/<known file>. */
const LEGACY_BUNDLE_DIR = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/
const LEGACY_BUNDLE_FILES = new Set(['summary.txt', 'flux-get-all.txt', 'flux-objects.yaml', 'events.txt', 'pods.txt', 'helm-releases.json', 'failing-pods.txt'])
const LEGACY_LOG = /^[a-z0-9][a-z0-9.-]*_[a-z0-9][a-z0-9.-]*\.log$/

/** A path relative to the state dir in the journal's form, or an error for one that would leave it. */
export function normalizeRel(rel: string): string {
  const p = path.posix.normalize(rel.split(path.sep).join('/'))
  if (p === '.' || p === '' || path.posix.isAbsolute(p) || p === '..' || p.startsWith('../')) {
    throw new Error(`state file path must stay inside the state dir: ${rel}`)
  }
  return p.replace(/\/$/, '')
}

export function readManifest(stateDir: string): Manifest {
  let text: string
  try {
    text = fs.readFileSync(path.join(stateDir, MANIFEST_FILE), 'utf8')
  } catch {
    return { exists: false, legacy: false, entries: new Map() }
  }
  const entries = new Map<string, ManifestEntry>()
  let legacy = false
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    let e: Partial<ManifestEntry> & { legacy?: unknown }
    try { e = JSON.parse(line) } catch { continue }
    if (!e || typeof e !== 'object') continue
    if (e.legacy === true) { legacy = true; continue }
    if (typeof e.path !== 'string') continue
    let p: string
    try { p = e.path === '.' ? '.' : normalizeRel(e.path) } catch { continue }
    entries.set(p, { path: p, ...(e.dir ? { dir: true } : {}), ...(e.keep ? { keep: true } : {}) })
  }
  return { exists: true, legacy, entries }
}

function append(stateDir: string, lines: object[]): void {
  if (!lines.length) return
  // One write per batch: O_APPEND keeps concurrent writers' lines whole. A batch starts and ends with a
  // newline, so a line torn by a crash stays a line of its own (skipped) and never spoils a neighbour.
  fs.appendFileSync(path.join(stateDir, MANIFEST_FILE), `\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n`)
}

/** An older version's state dir: it has a state.json of the suite's shape. */
function looksLikeOldStateDir(stateDir: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as { version?: unknown }).version === 1
  } catch {
    return false
  }
}

/**
 * Make sure the state dir exists; record that the suite created it when it did so just now. The first record
 * in a dir an older version used says so (legacy), so its known files still count as the suite's.
 */
export function ensureStateDir(stateDir: string): void {
  const existed = fs.existsSync(stateDir)
  if (existed && !isDirFollow(stateDir)) throw Object.assign(new Error(`${stateDir} is not a directory`), { code: 'ENOTDIR' })
  if (!existed) fs.mkdirSync(stateDir, { recursive: true })
  const journal = path.join(stateDir, MANIFEST_FILE)
  if (fs.existsSync(journal)) return
  // The first line says how the dir came to be. (The dir itself cannot be recorded before it exists: a crash
  // right after mkdir leaves a dir without a journal, which down then never removes. The safe side.)
  if (!existed) append(stateDir, [{ path: '.', dir: true }])
  else if (looksLikeOldStateDir(stateDir)) append(stateDir, [{ legacy: true }])
  // someone's existing dir: an empty journal, so it is never taken for an older version's state dir later
  else fs.writeFileSync(journal, '', { flag: 'a' })
}

export interface RecordOptions {
  /** kept by a plain `down`; only `down --all` removes it */
  keep?: boolean
}

/**
 * Record that the suite is about to write `rel` inside the state dir (creating and recording its parent
 * directories). Returns the absolute path to write. Cheap when already recorded: the journal is read, not grown.
 */
export function recordStateFile(stateDir: string, rel: string, opts: RecordOptions = {}): string {
  const p = normalizeRel(rel)
  ensureStateDir(stateDir)
  const m = readManifest(stateDir)
  const lines: ManifestEntry[] = []
  const parts = p.split('/')
  for (let i = 1; i < parts.length; i++) {
    const d = parts.slice(0, i).join('/')
    const abs = path.join(stateDir, d)
    if (!fs.existsSync(abs)) {
      // record first, then create: a crash in between leaves an entry, not an unrecorded dir
      if (!m.entries.get(d)?.dir) lines.push({ path: d, dir: true })
      append(stateDir, lines.splice(0))
      fs.mkdirSync(abs)
    }
  }
  const prev = m.entries.get(p)
  if (!prev || Boolean(prev.keep) !== Boolean(opts.keep) || prev.dir) lines.push({ path: p, ...(opts.keep ? { keep: true } : {}) })
  append(stateDir, lines)
  return path.join(stateDir, p)
}

export interface OwnedState {
  /** manifest: recorded by this version; legacy: only an older version's known files; none: no state dir */
  source: 'manifest' | 'legacy' | 'none'
  /** files the suite wrote that exist now (relative paths), with temp files its atomic writes left behind */
  files: { path: string; keep: boolean }[]
  /** directories the suite created (relative; '.' = the state dir), deepest first; removed only when empty */
  dirs: string[]
  /** entries the suite did not write (relative; top level and inside its own dirs): never touched */
  foreign: string[]
}

const isFile = (p: string) => { try { return fs.lstatSync(p).isFile() } catch { return false } }
const isDir = (p: string) => { try { return fs.lstatSync(p).isDirectory() } catch { return false } }
/** the state dir itself may be a symlink to a directory (inside it, symlinks are never followed) */
const isDirFollow = (p: string) => { try { return fs.statSync(p).isDirectory() } catch { return false } }
const list = (p: string) => { try { return fs.readdirSync(p).sort() } catch { return [] } }

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM' }
}

/** The known files and diagnostics bundles of an older version (no recursive guessing: exact names and shapes). */
function legacyEntries(stateDir: string): { files: string[]; dirs: string[] } {
  const files = LEGACY_FILES.filter((f) => isFile(path.join(stateDir, f)))
  const dirs: string[] = []
  const diag = path.join(stateDir, 'diagnostics')
  if (isDir(diag)) {
    for (const b of list(diag).filter((n) => LEGACY_BUNDLE_DIR.test(n) && isDir(path.join(diag, n)))) {
      const rel = `diagnostics/${b}`
      files.push(...list(path.join(diag, b)).filter((n) => LEGACY_BUNDLE_FILES.has(n) && isFile(path.join(diag, b, n))).map((n) => `${rel}/${n}`))
      if (isDir(path.join(diag, b, 'logs'))) {
        files.push(...list(path.join(diag, b, 'logs')).filter((n) => LEGACY_LOG.test(n) && isFile(path.join(diag, b, 'logs', n))).map((n) => `${rel}/logs/${n}`))
        dirs.push(`${rel}/logs`)
      }
      dirs.push(rel)
    }
    dirs.push('diagnostics')
  }
  return { files, dirs }
}

/** Files the suite's own machinery leaves by construction: `<file>.<pid>.tmp` of an interrupted atomic write,
 * and the run lock's helpers of a process that is gone. */
function byConstruction(stateDir: string, dir: string, owned: Set<string>): string[] {
  const out: string[] = []
  for (const n of list(path.join(stateDir, dir))) {
    const rel = dir === '.' ? n : `${dir}/${n}`
    const tmp = /^(.*)\.(\d+)\.tmp$/.exec(rel)
    if (tmp && owned.has(tmp[1]!) && isFile(path.join(stateDir, rel))) out.push(rel)
    else if (tmp && tmp[1] === 'run.lock' && !pidAlive(Number(tmp[2]))) out.push(rel)
  }
  return out
}

/** Top-level names the suite's machinery uses itself (the journal and the run lock). */
export const MACHINERY: ReadonlySet<string> = new Set([MANIFEST_FILE, 'run.lock', 'run.lock.takeover'])

/** What down may remove in the state dir: exactly what the suite wrote, and what it did not (to say so). */
export function ownedState(stateDir: string, opts: { legacyDirName?: (dir: string) => boolean } = {}): OwnedState {
  if (!isDirFollow(stateDir)) return { source: 'none', files: [], dirs: [], foreign: [] }
  const m = readManifest(stateDir)
  const keep = new Map<string, boolean>()
  const dirs = new Set<string>()
  for (const e of m.entries.values()) {
    if (e.dir) dirs.add(e.path)
    else keep.set(e.path, Boolean(e.keep))
  }
  if (!m.exists || m.legacy) {
    const l = legacyEntries(stateDir)
    for (const f of l.files) if (!keep.has(f)) keep.set(f, false)
    for (const d of l.dirs) dirs.add(d)
    // an older version gave no record of creating the dir; a dir named for the platform (.platform,
    // platform-state) is taken to be its own, as that version did
    if (!m.exists && (opts.legacyDirName ?? ((d: string) => /platform/i.test(path.basename(d))))(stateDir)) dirs.add('.')
  }
  const recorded = new Set(keep.keys())
  const files = [...keep].filter(([f]) => isFile(path.join(stateDir, f))).map(([f, k]) => ({ path: f, keep: k }))
  for (const d of ['.', ...[...dirs].filter((d) => d !== '.')]) {
    for (const t of byConstruction(stateDir, d, recorded)) if (!files.some((f) => f.path === t)) files.push({ path: t, keep: false })
  }
  const existingDirs = [...dirs].filter((d) => (d === '.' ? isDirFollow(stateDir) : isDir(path.join(stateDir, d))))
  // deepest first, so rmdir can go bottom-up
  existingDirs.sort((a, b) => (b === '.' ? -1 : a === '.' ? 1 : b.split('/').length - a.split('/').length || a.localeCompare(b)))
  const ours = new Set([...files.map((f) => f.path), ...existingDirs])
  const foreign: string[] = []
  for (const d of ['.', ...existingDirs.filter((x) => x !== '.')]) {
    for (const n of list(path.join(stateDir, d))) {
      const rel = d === '.' ? n : `${d}/${n}`
      if (d === '.' && MACHINERY.has(n)) continue
      if (!ours.has(rel)) foreign.push(rel)
    }
  }
  return { source: m.exists ? 'manifest' : 'legacy', files: files.sort((a, b) => a.path.localeCompare(b.path)), dirs: existingDirs, foreign }
}

/**
 * A state dir the suite created that holds nothing at all any more (only its journal, say after a run that
 * wrote nothing): remove the journal and the dirs. Anything else in it, ours or not, keeps it.
 */
export function removeIfEmpty(stateDir: string): void {
  const m = readManifest(stateDir)
  if (!m.entries.get('.')?.dir) return
  const o = ownedState(stateDir)
  if (o.files.length || o.foreign.length || list(stateDir).some((n) => n !== MANIFEST_FILE)) return
  fs.rmSync(path.join(stateDir, MANIFEST_FILE), { force: true })
  for (const d of o.dirs) { try { fs.rmdirSync(path.join(stateDir, d)) } catch { /* not empty after all */ } }
}
