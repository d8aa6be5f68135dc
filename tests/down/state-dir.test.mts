// `up` then `down --yes` with STATE_DIR pointed at the repository's own files (refused before anything runs) and at
// a fresh dir (removed completely), in a throw-away git copy of this repository. `git ls-files --deleted` stays empty.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { world } from '../cluster/support.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'
import { deletedFiles, repoCopy, runIn, tree, UP } from './repo-copy.mts'

test('STATE_DIR at tracked files, the repo or its parent: refused by up and down before any tool runs', async () => {
  const base = tempDir('statedir-refused-')
  const w = await world()
  try {
    const copy = repoCopy(base)
    const appsBefore = tree(path.join(copy, 'apps'))
    // the reproduction: STATE_DIR=apps up, then down --yes
    for (const [script, args] of [['up', UP], ['down', ['--yes']]] as const) {
      w.clearCalls()
      const r = await runIn(copy, w, script, args, 'apps')
      assert.is(r.code, 2, `${script}: ${r.stderr}`)
      assert.match(r.stderr, /✖ config: STATE_DIR="apps" \(.*\/apps\) (is inside the repository's apps\/ directory|holds \d+ files tracked by git)/)
      assert.match(r.stderr, 'set STATE_DIR to a directory of its own')
      assert.equal(w.calls(), [], `${script} ran a tool`)
    }
    assert.equal(tree(path.join(copy, 'apps')), appsBefore)
    for (const dir of ['.', '..', 'apps/base', 'scripts/lib']) {
      const r = await runIn(copy, w, 'down', ['--yes'], dir)
      assert.is(r.code, 2, `${dir}: ${r.stderr}`)
      assert.match(r.stderr, `STATE_DIR="${dir}"`)
    }
    assert.is(deletedFiles(copy), '', 'no tracked file of the repository was deleted')
  } finally {
    w.cleanup()
    removeDir(base)
  }
})

test('a fresh STATE_DIR: up creates it, down removes everything up wrote and the dir, not the parents', async () => {
  const base = tempDir('statedir-fresh-')
  const w = await world()
  try {
    const copy = repoCopy(base)
    const fresh = path.join(base, 'fresh', 'state')
    let r = await runIn(copy, w, 'up', UP, fresh)
    assert.is(r.code, 0, r.stderr)
    assert.ok(tree(fresh).includes('state.json') && tree(fresh).includes('kind-config.yaml'), tree(fresh).join(','))
    r = await runIn(copy, w, 'down', ['--yes'], fresh)
    assert.is(r.code, 0, r.stderr)
    assert.not.ok(fs.existsSync(fresh), `left: ${tree(fresh).join(', ')}`)
    assert.ok(fs.existsSync(path.join(base, 'fresh')), 'a parent it had to create is not its to remove')
    assert.is(deletedFiles(copy), '')
  } finally {
    w.cleanup()
    removeDir(base)
  }
})

test.run()
