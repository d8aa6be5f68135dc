// Where STATE_DIR may point. The suite writes its local state there and `down` removes what it wrote, so a
// STATE_DIR that is (or holds) the repository's own files, the repository itself, / or $HOME is refused with a
// config error (exit 2) before any command does anything.
// Checked for EVERY command, right after the configuration is loaded: it is a configuration error like any
// other (doctor and status should say so too, not only up/down), and read-only commands also write there
// (forward records its port-forwards). It is not inside loadConfig because that stays pure and synchronous;
// asking git which files it tracks is a process call and goes through the git adapter.

import fs from 'node:fs'
import path from 'node:path'
import { EXIT, StepError } from './errors.mts'

/** Top-level directories of the repository that hold the product itself (checked without git: a tarball too). */
export const REPO_CONTENT_DIRS: ReadonlySet<string> = new Set(['apps', 'bootstrap', 'cluster', 'infrastructure', 'scripts', 'tests', 'node_modules', '.github', '.ci', '.git'])

const inside = (child: string, parent: string) => {
  const rel = path.relative(parent, child)
  return rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel)
}

/** The absolute path with symlinks resolved as far as it exists (a symlink to apps/ is apps/). */
export function resolveReal(p: string): string {
  const abs = path.resolve(p)
  const rest: string[] = []
  let cur = abs
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse())
    } catch {
      const parent = path.dirname(cur)
      if (parent === cur) return abs
      rest.push(path.basename(cur))
      cur = parent
    }
  }
}

/** Why this (resolved) state dir is not acceptable, or undefined. Pure. */
export function stateDirProblem(dir: string, root: string, home: string): string | undefined {
  if (path.parse(dir).root === dir) return 'is the filesystem root'
  if (dir === root) return 'is the repository root'
  if (inside(root, dir)) return `contains the repository (${root})`
  if (dir === home) return 'is your home directory'
  if (inside(home, dir)) return `contains your home directory (${home})`
  if (dir.split(path.sep).includes('.git')) return "is inside a git repository's .git directory"
  if (inside(dir, root)) {
    const top = path.relative(root, dir).split(path.sep)[0]!
    if (REPO_CONTENT_DIRS.has(top)) return `is inside the repository's ${top}/ directory (the product's own files)`
  }
  return undefined
}

/** The nearest path at or above `p` that exists, and whether it is a directory. */
function nearestExisting(p: string): { path: string; isDir: boolean } {
  for (let cur = p; ; cur = path.dirname(cur)) {
    try {
      return { path: cur, isDir: fs.statSync(cur).isDirectory() }
    } catch {
      if (path.dirname(cur) === cur) return { path: cur, isDir: true }
    }
  }
}

/** Is `p` inside a git work tree (some ancestor has a .git entry)? Without one nothing can be tracked. */
function inGitWorkTree(p: string): boolean {
  for (let cur = p; ; cur = path.dirname(cur)) {
    if (fs.existsSync(path.join(cur, '.git'))) return true
    if (path.dirname(cur) === cur) return false
  }
}

export type Tracked = { known: true; files: string[] } | { known: false; reason: string }

export interface StateDirCheck {
  /** STATE_DIR as configured (shown in messages) */
  configured: string
  /** the state dir as the commands use it (absolute) */
  dir: string
  root: string
  home: string
  /** git ls-files at or under a directory (the git adapter) */
  tracked: (dir: string) => Promise<Tracked>
  warn: (line: string) => void
}

const HINT = 'set STATE_DIR to a directory of its own (the default .platform is git-ignored) in your environment or .env'

/** Throws a config error (exit 2) naming STATE_DIR when it is unsafe; warns when git could not be asked. */
export async function checkStateDir(c: StateDirCheck): Promise<void> {
  const real = resolveReal(c.dir)
  const shown = `STATE_DIR=${JSON.stringify(c.configured)}${c.configured !== real ? ` (${real})` : ''}`
  const fail = (what: string) => { throw new StepError({ step: 'config', message: `${shown} ${what}`, hint: HINT, exitCode: EXIT.usage }) }
  // dotenv and the environment do not expand ~: "~/state" would be a directory named "~" in the repository
  if (/^~(\/|$)/.test(c.configured)) fail(`starts with ~, which is not expanded here: write the full path (e.g. ${path.join(c.home, c.configured.slice(2) || '.platform')})`)
  const problem = stateDirProblem(real, resolveReal(c.root), resolveReal(c.home))
  if (problem) fail(problem)
  const near = nearestExisting(real)
  if (!near.isDir) fail(near.path === real ? 'is a file, not a directory' : `cannot be created: ${near.path} is a file`)
  if (near.path !== real || !inGitWorkTree(real)) return
  const t = await c.tracked(real)
  if (!t.known) {
    c.warn(`could not ask git whether ${shown} holds tracked files (${t.reason}); down still removes only the files the suite recorded writing there`)
    return
  }
  if (t.files.length) {
    const n = t.files.length
    fail(`holds ${n} file${n === 1 ? '' : 's'} tracked by git (${t.files.slice(0, 3).join(', ')}${n > 3 ? ', ...' : ''})`)
  }
}
