// down and the local CA (<state>/tls/ca.crt, ca.key): kept by default (whatever the user told to trust it keeps
// trusting the platform after the next up), deleted with --yes --all, and on a terminal --all selects it and the
// final question says that it goes; answering no keeps it.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { defaultChoices, findLeftovers, listItems, planTeardown } from '../../scripts/lib/down/plan.mts'
import type { Observed } from '../../scripts/lib/down/types.mts'
import { writeStateFile } from '../../scripts/lib/shell/state.mts'
import { runScript } from '../helpers/proc.mts'
import { KEY, runScriptInPty, type PtyResult } from '../helpers/pty.mts'
import { kindWorld, type World } from './world.mts'

const SELECT = 'Select what to delete'
const show = (r: PtyResult) => `exit ${r.code}\n${r.output}`

async function worldWithCa(): Promise<World & { caFiles: string[] }> {
  const w = await kindWorld()
  const dir = path.join(w.stateDir, 'tls')
  // written the way up writes them: recorded in the state manifest as kept
  writeStateFile(w.stateDir, 'tls/ca.crt', '-----BEGIN CERTIFICATE-----\n(test)\n-----END CERTIFICATE-----\n', { keep: true })
  writeStateFile(w.stateDir, 'tls/ca.key', '(test key)\n', { mode: 0o600, keep: true })
  return Object.assign(w, { caFiles: [path.join(dir, 'ca.crt'), path.join(dir, 'ca.key')] })
}

const DIR = '/repo/.platform'
function observed(): Observed {
  return {
    provider: 'kind', context: 'kind-platform', contexts: ['kind-platform'],
    kind: {
      clusterName: 'platform', clusters: ['platform'], nodes: ['platform-control-plane'],
      registry: { name: 'kind-registry', status: 'absent', volumes: [], networks: [] },
      network: { name: 'kind', exists: false, createdByUs: false, members: [], clusters: [] },
    },
    local: {
      stateDir: DIR, stateExists: true, forwards: [],
      owned: { source: 'manifest', files: [{ path: 'state.json', keep: false }, { path: 'tls/ca.crt', keep: true }, { path: 'tls/ca.key', keep: true }], dirs: ['tls', '.'], foreign: [] },
      ca: { dir: `${DIR}/tls`, files: [`${DIR}/tls/ca.crt`, `${DIR}/tls/ca.key`] },
    },
  }
}

test('plan: by default the CA is kept (the state dir goes but for tls/) and said so; --all deletes it first', () => {
  const o = observed()
  const keep = planTeardown(o, defaultChoices(listItems(o)))
  assert.equal(keep.actions.find((a) => a.kind === 'delete-state'), { kind: 'delete-state', item: 'state', dir: DIR, files: ['state.json'], dirs: ['tls', '.'] })
  assert.not.ok(keep.actions.some((a) => a.kind === 'delete-ca'))
  assert.equal(keep.entries.find((e) => e.item === 'ca'), { item: 'ca', title: 'local CA', outcome: 'keep' })
  assert.ok(keep.notes.some((n) => /local CA kept in \/repo\/\.platform\/tls: the next up reuses it/.test(n)), keep.notes.join('\n'))
  const all = planTeardown(o, defaultChoices(listItems(o, { deleteRegistry: true, deleteCa: true })))
  assert.equal(all.actions.map((a) => a.kind), ['delete-cluster', 'delete-context', 'delete-ca', 'delete-state'])
  // the CA is not among the kept files: it has an item (and an action) of its own
  assert.equal(all.actions.find((a) => a.kind === 'delete-state'), { kind: 'delete-state', item: 'state', dir: DIR, files: ['state.json'], dirs: ['tls', '.'] })
  assert.not.ok(listItems(o, { deleteRegistry: true, deleteCa: true }).some((i) => i.id === 'kept'))
  // --delete-registry alone is about the registry only
  assert.not.ok(planTeardown(o, defaultChoices(listItems(o, { deleteRegistry: true }))).actions.some((a) => a.kind === 'delete-ca'))
  // a CA that is still there after its deletion is a leftover
  const left = findLeftovers({ plan: all, before: o, after: { ...o, kind: { ...o.kind!, clusters: [] }, local: { ...o.local, owned: { ...o.local.owned, files: o.local.owned.files.filter((f) => f.keep) } } }, stillRunning: [] })
  assert.ok(left.some((l) => l.startsWith('local CA /repo/.platform/tls/ca.crt')), left.join('\n'))
})

test('down --yes keeps the CA (same bytes), deletes the rest of the state; --yes --all deletes it too', async () => {
  const w = await worldWithCa()
  try {
    const before = w.caFiles.map((f) => fs.readFileSync(f, 'utf8'))
    const r = await runScript('down', ['--yes'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.equal(w.caFiles.map((f) => fs.readFileSync(f, 'utf8')), before)
    // the journal stays with the CA: it is what says the CA is the suite's
    assert.equal(fs.readdirSync(w.stateDir), ['manifest.jsonl', 'tls'], 'everything else of the state is gone')
    assert.match(r.stderr, 'kept: registry container "kind-registry", local CA')
    const r2 = await runScript('down', ['--yes', '--all'], { env: w.env })
    assert.is(r2.code, 0, r2.stderr)
    assert.not.ok(fs.existsSync(path.join(w.stateDir, 'tls')), 'the CA is gone')
    assert.match(r2.stderr, 'delete the local CA (ca.crt, ca.key in')
  } finally {
    w.cleanup()
  }
})

test('on a terminal: without --all the CA is not selected; with --all it is, the question says it goes, and "no" keeps it', async () => {
  const w = await worldWithCa()
  try {
    const r = await runScriptInPty('down', ['--all'], {
      env: w.env,
      steps: [
        { expect: SELECT, send: KEY.enter },
        { expect: 'The local CA goes too: whatever trusts it must trust the new one the next up creates', send: 'n' },
      ],
    })
    assert.is(r.code, 0, show(r))
    assert.match(r.output, 'Not confirmed: nothing deleted.')
    for (const f of w.caFiles) assert.ok(fs.existsSync(f), f)
    const r2 = await runScriptInPty('down', [], {
      env: w.env,
      steps: [
        { expect: SELECT, send: KEY.enter },
        { expect: 'Delete kind cluster "platform"', send: 'y' },
      ],
    })
    assert.is(r2.code, 0, show(r2))
    assert.not.match(r2.output, 'The local CA goes too')
    for (const f of w.caFiles) assert.ok(fs.existsSync(f), `${f} kept`)
    assert.equal(w.clusters(), [])
  } finally {
    w.cleanup()
  }
})

test.run()
