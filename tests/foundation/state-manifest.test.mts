// The state dir's journal (manifest.jsonl): every file the suite writes there is recorded first, and what down may
// remove is exactly what was recorded; an older version's dir (no journal) gives up only its known files.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MANIFEST_FILE, ownedState, readManifest, recordStateFile, removeIfEmpty } from '../../scripts/lib/shell/manifest.mts'
import { writeState, writeStateFile } from '../../scripts/lib/shell/state.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const files = (o: ReturnType<typeof ownedState>) => o.files.map((f) => `${f.path}${f.keep ? ' (keep)' : ''}`)

test('a dir the suite creates: recorded as its own, with every file and sub-directory it writes', () => {
  const base = tempDir('manifest-')
  try {
    const dir = path.join(base, 'deep', 'state')
    writeState(dir, { version: 1 })
    writeStateFile(dir, 'diagnostics/2025-01-01T00-00-00-000Z/logs/flux-system_x.log', 'log\n')
    writeStateFile(dir, 'ca/ca.key', 'key\n', { keep: true, mode: 0o600 })
    writeState(dir, { version: 1, clusterName: 'x' }) // again: recorded once
    const m = readManifest(dir)
    assert.ok(m.entries.get('.')?.dir)
    assert.equal([...m.entries.keys()].filter((k) => k === 'state.json').length, 1)
    assert.is(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8').match(/state\.json/g)?.length, 1, 'an unchanged entry does not grow the journal')
    const o = ownedState(dir)
    assert.is(o.source, 'manifest')
    assert.equal(files(o), ['ca/ca.key (keep)', 'diagnostics/2025-01-01T00-00-00-000Z/logs/flux-system_x.log', 'state.json'])
    // deepest first, the state dir itself last; never the parents it had to create (deep/)
    assert.equal(o.dirs, ['diagnostics/2025-01-01T00-00-00-000Z/logs', 'diagnostics/2025-01-01T00-00-00-000Z', 'ca', 'diagnostics', '.'])
    assert.equal(o.foreign, [])
    assert.is(fs.statSync(path.join(dir, 'ca/ca.key')).mode & 0o777, 0o600)
  } finally {
    removeDir(base)
  }
})

test("someone's existing dir: the suite's files are recorded, the dir and the user's files are not the suite's", () => {
  const dir = tempDir('manifest-mine-')
  try {
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine')
    fs.mkdirSync(path.join(dir, 'photos'))
    writeState(dir, { version: 1 })
    writeStateFile(dir, 'photos/kind-config.yaml', 'x') // a dir that existed is not recorded as created
    const o = ownedState(dir)
    assert.equal(files(o), ['photos/kind-config.yaml', 'state.json'])
    assert.equal(o.dirs, [])
    assert.equal(o.foreign, ['notes.txt', 'photos'])
    assert.not.ok(readManifest(dir).entries.has('.'))
  } finally {
    removeDir(dir)
  }
})

test('a state dir that is a symlink to a directory works like the directory', () => {
  const base = tempDir('manifest-link-')
  try {
    fs.mkdirSync(path.join(base, 'target'))
    fs.symlinkSync(path.join(base, 'target'), path.join(base, 'state'))
    writeState(path.join(base, 'state'), { version: 1 })
    assert.equal(files(ownedState(path.join(base, 'state'))), ['state.json'])
    assert.ok(fs.existsSync(path.join(base, 'target', 'state.json')))
  } finally {
    removeDir(base)
  }
})

test('paths that would leave the state dir are refused', () => {
  const dir = tempDir('manifest-esc-')
  try {
    for (const bad of ['../x', '/etc/passwd', '.', 'a/../../b']) assert.throws(() => recordStateFile(dir, bad), /inside the state dir/, bad)
  } finally {
    removeDir(dir)
  }
})

test('a torn journal line (a crash mid-append) is skipped and does not swallow the next entry', () => {
  const dir = tempDir('manifest-torn-')
  try {
    writeState(dir, { version: 1 })
    fs.appendFileSync(path.join(dir, MANIFEST_FILE), '{"path":"last-ru') // killed half-way
    writeStateFile(dir, 'forwards.json', '[]')
    assert.equal(files(ownedState(dir)), ['forwards.json', 'state.json'])
  } finally {
    removeDir(dir)
  }
})

test('temp files of an interrupted atomic write count as the file they were for; others do not', () => {
  const dir = tempDir('manifest-tmp-')
  try {
    writeState(dir, { version: 1 })
    fs.writeFileSync(path.join(dir, 'state.json.4242.tmp'), '{')
    fs.writeFileSync(path.join(dir, 'notes.txt.4242.tmp'), 'mine')
    const o = ownedState(dir)
    assert.equal(files(o), ['state.json', 'state.json.4242.tmp'])
    assert.equal(o.foreign, ['notes.txt.4242.tmp'])
  } finally {
    removeDir(dir)
  }
})

test('an older version\'s state dir (no journal): only its known files by exact name, never anything else', () => {
  const base = tempDir('manifest-legacy-')
  try {
    const dir = path.join(base, '.platform')
    fs.mkdirSync(path.join(dir, 'diagnostics', '2025-10-20T10-00-00-000Z', 'logs'), { recursive: true })
    for (const f of ['state.json', 'last-run.json', 'kind-config.yaml', 'notes.txt']) fs.writeFileSync(path.join(dir, f), f === 'state.json' ? '{"version":1}' : 'x')
    fs.writeFileSync(path.join(dir, 'diagnostics', '2025-10-20T10-00-00-000Z', 'summary.txt'), 'x')
    fs.writeFileSync(path.join(dir, 'diagnostics', '2025-10-20T10-00-00-000Z', 'my-analysis.md'), 'mine')
    fs.writeFileSync(path.join(dir, 'diagnostics', '2025-10-20T10-00-00-000Z', 'logs', 'demo-dev_demo-1.log'), 'x')
    fs.mkdirSync(path.join(dir, 'diagnostics', 'keep-me'))
    const o = ownedState(dir)
    assert.is(o.source, 'legacy')
    assert.equal(files(o), ['diagnostics/2025-10-20T10-00-00-000Z/logs/demo-dev_demo-1.log', 'diagnostics/2025-10-20T10-00-00-000Z/summary.txt', 'kind-config.yaml', 'last-run.json', 'state.json'])
    assert.equal(o.foreign, ['notes.txt', 'diagnostics/2025-10-20T10-00-00-000Z/my-analysis.md', 'diagnostics/keep-me'])
    // named for the platform: that version made it (it removed such dirs whole); another name: not
    assert.ok(o.dirs.includes('.'))
    assert.not.ok(ownedState(dir, { legacyDirName: () => false }).dirs.includes('.'))

    // the first write of this version starts the journal and says the dir is an older version's:
    // the files that version wrote stay the suite's even though this run did not rewrite them
    writeStateFile(dir, 'forwards.json', '[]')
    assert.ok(readManifest(dir).legacy)
    const after = ownedState(dir)
    assert.is(after.source, 'manifest')
    assert.ok(files(after).includes('kind-config.yaml') && files(after).includes('forwards.json'))
    assert.ok(after.foreign.includes('notes.txt'))
  } finally {
    removeDir(base)
  }
})

test('removeIfEmpty: a dir the suite created and left empty goes; one with anything in it stays', () => {
  const base = tempDir('manifest-empty-')
  try {
    const dir = path.join(base, 'state')
    recordStateFile(dir, 'state.json') // recorded, never written (a run that stopped before writing)
    removeIfEmpty(dir)
    assert.not.ok(fs.existsSync(dir))
    writeState(dir, { version: 1 })
    removeIfEmpty(dir)
    assert.ok(fs.existsSync(path.join(dir, 'state.json')))
    const mine = tempDir('manifest-empty-mine-')
    writeState(mine, { version: 1 })
    fs.rmSync(path.join(mine, 'state.json'))
    removeIfEmpty(mine)
    assert.ok(fs.existsSync(mine), 'not created by the suite: stays')
    removeDir(mine)
  } finally {
    removeDir(base)
  }
})

test('phases running concurrently share one state object: every save keeps the fields the others set', async () => {
  const dir = tempDir('manifest-phases-')
  try {
    // as up does it: one in-memory PlatformState, saveState writes it whole (never a stale copy read from disk)
    const state: Parameters<typeof writeState>[1] = { version: 1 }
    const save = () => writeState(dir, state)
    const tick = () => new Promise((r) => setImmediate(r))
    const registry = async () => { await tick(); state.registry = { name: 'kind-registry', image: 'registry:3', port: 5001, createdByUs: true }; save(); await tick(); save() }
    const cluster = async () => { state.network = { name: 'kind', createdByUs: true }; save(); await tick(); state.cluster = { name: 'platform', context: 'kind-platform', createdByUs: true }; save() }
    await Promise.all([registry(), cluster(), registry()])
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'))
    assert.ok(onDisk.registry && onDisk.cluster && onDisk.network, JSON.stringify(onDisk))
  } finally {
    removeDir(dir)
  }
})

test.run()
