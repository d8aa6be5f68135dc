// `up` then `down --yes` with STATE_DIR pointed at a directory that holds the user's own files, outside the repository
// and inside it (untracked), in a throw-away git copy of this repository: the user's files and the dir stay.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { world } from '../cluster/support.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'
import { deletedFiles, repoCopy, runIn, tree, UP } from './repo-copy.mts'

test("the user's own dir outside the repo: their files and the dir stay, the suite's files go", async () => {
  const base = tempDir('statedir-mine-')
  const w = await world()
  try {
    const copy = repoCopy(base)
    const mine = path.join(base, 'mine')
    fs.mkdirSync(path.join(mine, 'photos'), { recursive: true })
    fs.writeFileSync(path.join(mine, 'notes.txt'), 'mine')
    fs.writeFileSync(path.join(mine, 'photos', 'a.jpg'), 'jpg')
    let r = await runIn(copy, w, 'up', UP, mine)
    assert.is(r.code, 0, r.stderr)
    r = await runIn(copy, w, 'down', ['--yes'], mine)
    assert.is(r.code, 0, r.stderr)
    assert.equal(tree(mine), ['notes.txt', 'photos', 'photos/a.jpg'])
    assert.match(r.stderr, 'holds files the suite did not write, left alone: notes.txt, photos')
    assert.is(deletedFiles(copy), '')
  } finally {
    w.cleanup()
    removeDir(base)
  }
})

test('an untracked dir inside the repository with the user\'s file in it: only that file remains', async () => {
  const base = tempDir('statedir-scratch-')
  const w = await world()
  try {
    const copy = repoCopy(base)
    fs.mkdirSync(path.join(copy, 'scratch'))
    fs.writeFileSync(path.join(copy, 'scratch', 'todo.md'), 'mine')
    let r = await runIn(copy, w, 'up', UP, 'scratch')
    assert.is(r.code, 0, r.stderr)
    r = await runIn(copy, w, 'down', ['--yes'], 'scratch')
    assert.is(r.code, 0, r.stderr)
    assert.equal(tree(path.join(copy, 'scratch')), ['todo.md'])
    assert.is(deletedFiles(copy), '')
  } finally {
    w.cleanup()
    removeDir(base)
  }
})

test.run()
