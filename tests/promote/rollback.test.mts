// Rolling back against the fake CLIs: a digest put into production with --to/--digest (no gate), then --undo to
// the previous digest. The template ran up and a sync with a new image, so dev and production differ.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript } from '../helpers/proc.mts'
import { GATE_FLAGS, line, short, syncedTemplate } from './world.mts'

const suite = syncedTemplate(test)

test('rollback: --to --digest (a prefix) puts any digest into production without a gate; --undo goes back to the previous one', async () => {
  const w = suite.world()
  try {
    const a = w.tags().production!
    const b = w.tags().dev!
    assert.not.equal(a, b)
    w.f.clearCalls()
    let r = await w.run(['--to', 'production', '--digest', b.slice(0, 12), '--yes', ...GATE_FLAGS])
    assert.is(r.code, 0, line(r))
    assert.match(r.stdout, `roll production to ${short(b)}`)
    assert.match(r.stdout, '"kind-registry:5000/demo:aaaaaaaaaaaa" → "kind-registry:5000/demo:bbbbbbbbbbbb"')
    assert.not.ok(w.f.calls('kubectl').some((c) => c.argv.includes('debug') || c.argv.join(' ').includes('-n demo-dev')), 'a rollback runs no gate')
    assert.ok(w.f.calls('kubectl').some((c) => c.argv.join(' ').includes('-n demo-production port-forward')), 'production was smoked after the move')
    assert.equal([w.tags().production, w.tags()['production-previous']], [b, a])
    assert.is(w.tags().staging, a, 'only production moved')
    assert.is(w.image('production'), 'kind-registry:5000/demo:bbbbbbbbbbbb')

    r = await w.run(['--undo', 'production', '--yes', ...GATE_FLAGS])
    assert.is(r.code, 0, line(r))
    assert.match(r.stdout, `undo production: back to ${short(a)} (its previous digest)`)
    assert.equal([w.tags().production, w.tags()['production-previous']], [a, b], 'a second --undo would be a redo')
    assert.is(w.image('production'), 'kind-registry:5000/demo:aaaaaaaaaaaa')
    const log = fs.readFileSync(path.join(w.f.env.STATE_DIR!, 'promotions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    assert.equal(log.slice(-2).map((m) => [m.env, m.action, m.from, m.to]), [['production', 'rollback', `sha256:${a}`, `sha256:${b}`], ['production', 'undo', `sha256:${b}`, `sha256:${a}`]])
  } finally {
    w.cleanup()
  }
})

test('a target that fails to apply after the move exits non-zero naming --undo; the tag has moved and says so', async () => {
  const w = suite.world()
  try {
    const b = w.tags().dev!
    w.f.inject({ tool: 'flux', match: 'reconcile kustomization apps-staging', exitCode: 1, stderr: "► annotating Kustomization apps-staging in flux-system namespace\n✔ Kustomization annotated\n◎ waiting for Kustomization reconciliation\n✗ Kustomization reconciliation failed: health check failed after 5m0s: timeout waiting for: [Deployment/demo-staging/demo status: 'InProgress']\n" })
    const r = await w.run(['--to', 'staging', '--digest', `sha256:${b}`, '--yes', '--json'])
    assert.is(r.code, 5, line(r))
    assert.match(r.stderr, 'health check failed after 5m0s')
    assert.match(r.stderr, `(the tag staging already names ${short(b)})`)
    assert.match(r.stderr, 'npx zx scripts/promote.mts --undo staging goes back')
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace')
    const j = JSON.parse(r.stdout)
    assert.equal([j.ok, j.moved], [false, true])
    assert.is(w.tags().staging, b)
  } finally {
    w.cleanup()
  }
})

test('a tag that went missing comes back at what its environment runs, not at dev\'s digest', async () => {
  const w = suite.world()
  try {
    const t = w.tags()
    w.f.setState((st) => { delete st.flux.artifacts['apps:staging'] })
    const r = await runScript('sync', ['--no-image'], { env: w.f.env, timeoutMs: 180_000 })
    assert.is(r.code, 0, line(r))
    assert.is(w.tags().staging, t.staging)
    assert.not.equal(w.tags().staging, t.dev)
    assert.is(w.image('staging'), 'kind-registry:5000/demo:aaaaaaaaaaaa')
  } finally {
    w.cleanup()
  }
})

test.run()
