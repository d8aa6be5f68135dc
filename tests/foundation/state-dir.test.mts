// STATE_DIR safety (scripts/lib/shell/state-dir.mts): the repository, its own directories, tracked files, /, $HOME
// and their parents are refused with a config error naming STATE_DIR; git is asked through the git adapter.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { StepError } from '../../scripts/lib/shell/errors.mts'
import { createRunner } from '../../scripts/lib/shell/run.mts'
import { checkStateDir, stateDirProblem, type Tracked } from '../../scripts/lib/shell/state-dir.mts'
import { trackedFiles } from '../../scripts/lib/tools/git.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const ROOT = '/home/ann/src/platform'
const HOME = '/home/ann'

test('pure rules: /, the repo, $HOME, their parents, .git and the product\'s own directories', () => {
  const bad: Record<string, string> = {
    '/': 'is the filesystem root',
    [ROOT]: 'is the repository root',
    '/home/ann/src': 'contains the repository',
    [HOME]: 'contains the repository', // home is also a parent of the repo here
    '/home': 'contains the repository',
    [`${ROOT}/apps`]: "is inside the repository's apps/ directory",
    [`${ROOT}/apps/base/new`]: "is inside the repository's apps/ directory",
    [`${ROOT}/scripts`]: "is inside the repository's scripts/ directory",
    [`${ROOT}/.git`]: "inside a git repository's .git directory",
    '/srv/other/.git/x': "inside a git repository's .git directory",
  }
  for (const [dir, why] of Object.entries(bad)) assert.match(stateDirProblem(dir, ROOT, HOME) ?? 'accepted', why, dir)
  assert.match(stateDirProblem('/home/bob', '/srv/repo', '/home/bob') ?? '', 'is your home directory')
  assert.match(stateDirProblem('/home', '/srv/repo', '/home/bob') ?? '', 'contains your home directory')
  for (const ok of [`${ROOT}/.platform`, `${ROOT}/my-state`, `${HOME}/.platform-work`, '/tmp/x/state', `${ROOT}/docs/state`]) {
    assert.is(stateDirProblem(ok, ROOT, HOME), undefined, ok)
  }
})

async function failure(dir: string, opts: { root?: string; home?: string; tracked?: Tracked; configured?: string } = {}): Promise<StepError | undefined> {
  try {
    await checkStateDir({ configured: opts.configured ?? dir, dir, root: opts.root ?? '/nonexistent-root', home: opts.home ?? '/nonexistent-home', tracked: async () => opts.tracked ?? { known: true, files: [] }, warn: () => {} })
    return undefined
  } catch (e) {
    if (e instanceof StepError) return e
    throw e
  }
}

test('a real git repo: a dir with tracked files is refused (exit 2, naming STATE_DIR), an untracked one is fine; symlinks do not hide it', async () => {
  const base = tempDir('statedir-git-')
  const runner = createRunner({ log: () => {} })
  try {
    const repo = path.join(base, 'repo')
    fs.mkdirSync(path.join(repo, 'docs', 'guide'), { recursive: true })
    fs.writeFileSync(path.join(repo, 'docs', 'guide', 'a.md'), 'a')
    fs.mkdirSync(path.join(repo, 'scratch'))
    fs.writeFileSync(path.join(repo, 'scratch', 'mine.txt'), 'mine')
    execFileSync('git', ['-C', repo, 'init', '-q'])
    execFileSync('git', ['-C', repo, 'add', 'docs'])
    // a generous limit: the product gives git 15s and then only warns; a disk stalled by other work (two suites
    // building images at once) once made git miss that, and this test is about the answer, not the limit
    const tracked = (d: string) => trackedFiles(runner, d, 'config', 120_000)
    const check = async (dir: string, configured: string) => {
      try { await checkStateDir({ configured, dir, root: repo, home: '/nonexistent-home', tracked, warn: () => {} }); return undefined } catch (e) { return e as StepError }
    }
    const e = await check(path.join(repo, 'docs'), 'docs')
    assert.ok(e instanceof StepError)
    assert.is(e!.exitCode, 2)
    assert.is(e!.step, 'config')
    assert.match(e!.message, `STATE_DIR="docs" (${fs.realpathSync(repo)}/docs) holds 1 file tracked by git (docs/guide/a.md)`)
    assert.match(e!.hint ?? '', 'set STATE_DIR to a directory of its own')
    assert.is(await check(path.join(repo, 'scratch'), 'scratch'), undefined, 'untracked files of a user: allowed (down only removes what it wrote)')
    fs.symlinkSync(path.join(repo, 'docs'), path.join(base, 'link'))
    assert.match((await check(path.join(base, 'link'), path.join(base, 'link')))!.message, 'tracked by git')
    // outside any repository, and no git at all: nothing can be tracked
    assert.equal(await trackedFiles(runner, base), { known: true, files: [] })
    const noGit = createRunner({ log: () => {}, env: { ...process.env, PATH: '/nonexistent-bin' } })
    assert.equal(await trackedFiles(noGit, path.join(repo, 'docs')), { known: true, files: [] })
  } finally {
    removeDir(base)
  }
})

test('a file where the state dir belongs, or below a file, is a config error', async () => {
  const base = tempDir('statedir-file-')
  try {
    fs.writeFileSync(path.join(base, 'env'), 'x')
    assert.match((await failure(path.join(base, 'env')))!.message, 'is a file, not a directory')
    assert.match((await failure(path.join(base, 'env', 'state')))!.message, `cannot be created: ${path.join(base, 'env')} is a file`)
    assert.is(await failure(path.join(base, 'new', 'state')), undefined)
  } finally {
    removeDir(base)
  }
})

test('a STATE_DIR starting with ~ (not expanded by the environment or .env) is refused with the full path to write', async () => {
  const e = await failure('/repo/~/state', { configured: '~/state', home: '/home/ann' })
  assert.match(e!.message, 'STATE_DIR="~/state" (/repo/~/state) starts with ~, which is not expanded here: write the full path (e.g. /home/ann/state)')
  assert.is(e!.exitCode, 2)
})

test('git could not be asked: a warning, not a failure (down still removes only what the suite recorded)', async () => {
  const base = tempDir('statedir-warn-')
  try {
    fs.mkdirSync(path.join(base, '.git'))
    fs.mkdirSync(path.join(base, 'state'))
    const warnings: string[] = []
    await checkStateDir({ configured: 'state', dir: path.join(base, 'state'), root: '/nonexistent-root', home: '/nonexistent-home', tracked: async () => ({ known: false, reason: 'timed out after 15s' }), warn: (l) => warnings.push(l) })
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]!, 'could not ask git whether STATE_DIR="state"')
    assert.match(warnings[0]!, 'timed out after 15s')
  } finally {
    removeDir(base)
  }
})

test.run()
