// A throw-away git copy of this checkout, for tests whose failure could delete files of the repository they run
// in: a regression then deletes the copy's files, never the checkout under test.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { LAYER, type World } from '../cluster/support.mts'
import { REPO } from '../helpers/fakes.mts'
import { runNode, type ProcResult } from '../helpers/proc.mts'

const ZX_CLI = path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js')

/** This checkout's files (tracked and new), committed into a fresh repository; node_modules linked, untracked. */
export function repoCopy(base: string): string {
  const copy = path.join(base, 'repo')
  const list = execFileSync('git', ['-C', REPO, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' }).split('\0').filter(Boolean)
  for (const f of list) {
    const from = path.join(REPO, f)
    if (!fs.existsSync(from) || !fs.lstatSync(from).isFile()) continue
    fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true })
    fs.copyFileSync(from, path.join(copy, f))
  }
  const git = (...args: string[]) => execFileSync('git', ['-C', copy, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' })
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'copy')
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'))
  return copy
}

/** Run one of the copy's scripts against the fake world with this STATE_DIR. */
export const runIn = (copy: string, w: World, script: string, args: readonly string[], stateDir: string): Promise<ProcResult> =>
  // generous: several up runs share two loaded cores; the assertions are about outcomes, never about time
  runNode([ZX_CLI, path.join(copy, 'scripts', `${script}.mts`), ...args], { cwd: copy, env: { ...w.env, STATE_DIR: stateDir }, timeoutMs: 180_000 })

/** up limited to the cluster layer (state.json, kind-config.yaml, last-run.json are written) */
export const UP = LAYER

export const deletedFiles = (copy: string) => execFileSync('git', ['-C', copy, 'ls-files', '--deleted'], { encoding: 'utf8' }).trim()
export const tree = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).sort() : [])
