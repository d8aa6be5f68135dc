// git adapter (read-only): the commit, branch and remote that label the OCI artifact up pushes, which files git
// tracks (a STATE_DIR must hold none), and whether a path is git-ignored (secrets up writes must never be committable).
// Missing git or no repository is not an error: the artifact is then labelled by its content hash.

import type { Runner } from '../shell/run.mts'
import type { GitFacts } from '../flux/artifact.mts'

export async function gitFacts(r: Runner, root: string, paths: readonly string[], step = 'git'): Promise<GitFacts> {
  const git = (args: string[]) => r.run('git', ['-C', root, ...args], { step, nothrow: true, timeoutMs: 15_000 })
  const sha = await git(['rev-parse', 'HEAD'])
  if (!sha.ok) return { dirty: true }
  const [branch, status, remote] = await Promise.all([
    git(['rev-parse', '--abbrev-ref', 'HEAD']),
    git(['status', '--porcelain', '--untracked-files=all', '--', ...paths]),
    git(['config', '--get', 'remote.origin.url']),
  ])
  return {
    sha: sha.stdout.trim(),
    branch: branch.ok ? branch.stdout.trim() : undefined,
    dirty: !status.ok || status.stdout.trim() !== '',
    remote: remote.ok ? remote.stdout.trim() || undefined : undefined,
  }
}

export type TrackedFiles = { known: true; files: string[] } | { known: false; reason: string }

/**
 * Files git tracks at or under `dir` (paths from the top of the repository). Not a repository, or no git at all
 * (a tarball checkout), means nothing is tracked there. Read-only.
 */
export async function trackedFiles(r: Runner, dir: string, step = 'config', timeoutMs = 15_000): Promise<TrackedFiles> {
  const res = await r.run('git', ['-C', dir, 'ls-files', '-z', '--full-name', '--', '.'], { step, nothrow: true, timeoutMs })
  if (res.ok) return { known: true, files: res.stdout.split('\0').filter(Boolean) }
  // 128 "fatal: not a git repository" (or inside .git itself); 127: git is not installed
  if (res.exitCode === 127 || /not a git repository/i.test(res.stderr)) return { known: true, files: [] }
  return { known: false, reason: res.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `git exited with ${res.exitCode}` }
}

/**
 * Would git ignore this path of the repository at `root`? true/false, or undefined when there is no repository
 * (or no git): then nothing there can be committed by accident either. Read-only.
 */
export async function gitIgnores(r: Runner, root: string, file: string, step = 'git'): Promise<boolean | undefined> {
  const res = await r.run('git', ['-C', root, 'check-ignore', '-q', '--no-index', '--', file], { step, nothrow: true, timeoutMs: 15_000 })
  return res.exitCode === 0 ? true : res.exitCode === 1 ? false : undefined
}
