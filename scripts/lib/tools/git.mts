// git adapter (read-only): the commit, branch and remote that label the OCI artifact up pushes, and whether a
// path is git-ignored (secrets up writes must never be committable).
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

/**
 * Would git ignore this path of the repository at `root`? true/false, or undefined when there is no repository
 * (or no git): then nothing there can be committed by accident either. Read-only.
 */
export async function gitIgnores(r: Runner, root: string, file: string, step = 'git'): Promise<boolean | undefined> {
  const res = await r.run('git', ['-C', root, 'check-ignore', '-q', '--no-index', '--', file], { step, nothrow: true, timeoutMs: 15_000 })
  return res.exitCode === 0 ? true : res.exitCode === 1 ? false : undefined
}
