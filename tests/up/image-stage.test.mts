// The demo image's build context is staged: exactly the files the image hash covers plus the Dockerfile, so the
// legacy builder (which ignores Dockerfile.dockerignore) receives no node_modules, .git or .env.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEMO_IMAGE, imageContentHash } from '../../scripts/lib/image/hash.mts'
import { stageContext } from '../../scripts/lib/image/stage.mts'
import { REPO } from '../helpers/fakes.mts'

function walk(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name
    return e.isDirectory() ? walk(dir, r) : [r]
  })
}

test('the staged context holds exactly the hashed files and the Dockerfile, with their modes', () => {
  const { files } = imageContentHash({ context: REPO, ...DEMO_IMAGE })
  const s = stageContext(REPO, DEMO_IMAGE.dockerfile, files)
  try {
    assert.equal(walk(s.dir).sort(), [...files, DEMO_IMAGE.dockerfile].sort())
    assert.ok(files.includes('package-lock.json') && files.some((f) => f.startsWith('apps/demo/src/')))
    assert.not.ok(walk(s.dir).some((f) => f.startsWith('node_modules/') || f.startsWith('.git') || f === '.env'))
    for (const f of files) {
      assert.is(fs.readFileSync(path.join(s.dir, f), 'utf8'), fs.readFileSync(path.join(REPO, f), 'utf8'), f)
      assert.is(fs.statSync(path.join(s.dir, f)).mode & 0o777, fs.statSync(path.join(REPO, f)).mode & 0o777, f)
    }
    assert.is(s.dockerfile, path.join(s.dir, DEMO_IMAGE.dockerfile))
  } finally {
    s.remove()
  }
  assert.not.ok(fs.existsSync(s.dir), 'removed after the build')
})

test('a file that vanished between hash and stage fails the staging and leaves no temp dir behind', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-test-'))
  const saved = process.env.TMPDIR
  process.env.TMPDIR = tmp
  try {
    assert.throws(() => stageContext(REPO, DEMO_IMAGE.dockerfile, ['no/such/file.txt']), /ENOENT/)
    assert.equal(fs.readdirSync(tmp), [])
  } finally {
    if (saved === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = saved
    fs.rmSync(tmp, { recursive: true, force: true })
  }
})

test.run()
