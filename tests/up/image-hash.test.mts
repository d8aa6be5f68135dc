// The demo image tag is a content hash: it changes with the app source and the image recipe, nothing else.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { contextFiles, DEMO_IMAGE, imageContentHash } from '../../scripts/lib/image/hash.mts'
import { isIncluded, parseDockerignore } from '../../scripts/lib/image/dockerignore.mts'
import { imageRefs } from '../../scripts/lib/image/plan.mts'
import { REPO } from '../helpers/fakes.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

/** a copy of the files that matter, plus noise the hash must ignore */
function copyRepo(): string {
  const dir = tempDir('image-hash-')
  for (const rel of ['package.json', 'package-lock.json', 'apps/demo']) {
    fs.cpSync(path.join(REPO, rel), path.join(dir, rel), { recursive: true })
  }
  fs.mkdirSync(path.join(dir, 'node_modules', 'x'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'node_modules', 'x', 'index.js'), 'noise')
  fs.writeFileSync(path.join(dir, '.env'), 'SECRET=1\n')
  return dir
}
const tagOf = (dir: string) => imageContentHash({ context: dir, ...DEMO_IMAGE }).tag

test('the context is exactly what the Dockerfile.dockerignore allow-list lets through', () => {
  const dir = copyRepo()
  try {
    fs.writeFileSync(path.join(dir, 'apps/demo/src/extra.test.mts'), 'test')
    const files = contextFiles({ context: dir, ...DEMO_IMAGE })
    assert.ok(files.includes('package.json'))
    assert.ok(files.includes('package-lock.json'))
    assert.ok(files.includes('apps/demo/package.json'))
    assert.ok(files.includes('apps/demo/src/server.mts'))
    assert.not.ok(files.includes('apps/demo/src/extra.test.mts'), 'tests are excluded')
    assert.not.ok(files.some((f) => f.startsWith('node_modules') || f === '.env' || f === 'apps/demo/Dockerfile'))
  } finally {
    removeDir(dir)
  }
})

test('the tag changes when the app source changes, and only then', () => {
  const dir = copyRepo()
  try {
    const t1 = tagOf(dir)
    assert.match(t1, /^[0-9a-f]{12}$/)
    assert.is(tagOf(dir), t1, 'stable across runs')
    // noise outside the context: same tag
    fs.writeFileSync(path.join(dir, 'node_modules', 'x', 'index.js'), 'other noise')
    fs.writeFileSync(path.join(dir, 'README.md'), '# changed docs')
    fs.writeFileSync(path.join(dir, 'apps/demo/src/new.test.mts'), 'tests are not in the image')
    const now = new Date(Date.now() + 60_000)
    fs.utimesSync(path.join(dir, 'apps/demo/src/server.mts'), now, now)
    assert.is(tagOf(dir), t1, 'noise, tests and mtimes do not change the tag')
    // app source change: new tag
    fs.appendFileSync(path.join(dir, 'apps/demo/src/app.mts'), '\n// change\n')
    const t2 = tagOf(dir)
    assert.is.not(t2, t1)
    // a new source file: new tag
    fs.writeFileSync(path.join(dir, 'apps/demo/src/extra.mts'), 'export {}\n')
    const t3 = tagOf(dir)
    assert.is.not(t3, t2)
    // the recipe and the lockfile count too
    fs.appendFileSync(path.join(dir, 'apps/demo/Dockerfile'), '\n# comment\n')
    const t4 = tagOf(dir)
    assert.is.not(t4, t3)
    fs.appendFileSync(path.join(dir, 'package-lock.json'), '\n')
    assert.is.not(tagOf(dir), t4)
  } finally {
    removeDir(dir)
  }
})

test('dockerignore semantics: last match wins, ! re-includes, ** spans directories', () => {
  const rules = parseDockerignore('# comment\n*\n!src/\nsrc/**/*.test.*\n!src/keep.test.ts\n')
  assert.not.ok(isIncluded(rules, 'README.md'))
  assert.ok(isIncluded(rules, 'src/a.ts'))
  assert.ok(isIncluded(rules, 'src/deep/b.ts'))
  assert.not.ok(isIncluded(rules, 'src/deep/b.test.ts'))
  assert.ok(isIncluded(rules, 'src/keep.test.ts'))
  assert.ok(isIncluded(parseDockerignore(''), 'anything'))
})

test('image names: pushed via localhost:<port>, pulled in-cluster via <registry>:5000, never latest', () => {
  const r = imageRefs('kind-registry', 5003, 'abc123def456')
  assert.is(r.push, 'localhost:5003/demo:abc123def456')
  assert.is(r.cluster, 'kind-registry:5000/demo:abc123def456')
  assert.equal(r.fluxImage, { name: 'demo', newName: 'kind-registry:5000/demo', newTag: 'abc123def456' })
  assert.throws(() => imageRefs('kind-registry', 5001, 'latest'))
})

test.run()
