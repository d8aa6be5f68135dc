// promote against the fake CLIs: the tags up creates and that sync moves only dev (status shows who is behind),
// every refusal before anything changes (a digest dev does not run, out of order, no terminal, no previous digest,
// git mode), and --dry-run. The template ran up and a sync with a new image.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript } from '../helpers/proc.mts'
import { clusterWorld, isMutating, line as callLine } from '../up/world.mts'
import { line, short, syncedTemplate } from './world.mts'

const suite = syncedTemplate(test)

test('up started every environment at one digest on its own tag; the sync moved only dev; status shows who is behind', async () => {
  const w = suite.world()
  try {
    const t = w.tags()
    const first = t['dev-previous']!
    assert.ok(first && t.staging === first && t.production === first, 'one digest everywhere after up')
    assert.ok(t.dev !== first, 'dev follows the digest sync pushed')
    assert.equal(Object.keys(t).sort(), ['dev', 'dev-previous', 'production', 'staging'])
    assert.is(w.image('dev'), 'kind-registry:5000/demo:bbbbbbbbbbbb')
    assert.is(w.image('staging'), 'kind-registry:5000/demo:aaaaaaaaaaaa')
    assert.is(w.image('production'), 'kind-registry:5000/demo:aaaaaaaaaaaa')
    const s = await runScript('status', [], { env: w.f.env })
    assert.match(s.stdout, new RegExp(`demo-dev .*${short(t.dev!)} *\\n`))
    assert.match(s.stdout, new RegExp(`demo-staging .*${short(first)} +behind dev`))
    assert.match(s.stdout, new RegExp(`demo-production .*${short(first)} +behind dev`))
    const j = JSON.parse((await runScript('status', ['--json'], { env: w.f.env })).stdout)
    assert.equal(j.artifacts.map((a: any) => [a.env, a.digest, a.behind ?? null]), [['dev', `sha256:${t.dev}`, null], ['staging', `sha256:${first}`, 'dev'], ['production', `sha256:${first}`, 'dev']])
  } finally {
    w.cleanup()
  }
})

test('refusals before anything changes: a digest dev does not run, out of order (names --skip-staging), no terminal without --yes, no previous digest: exit 4; git mode: exit 2', async () => {
  const w = suite.world()
  try {
    const t0 = w.tags()
    // (the parsing of flags and positionals alone is covered in rules.test.mts)
    const cases: [string[], number, string[]][] = [
      [['dev', 'staging', '--yes', '--digest', `sha256:${'0'.repeat(64)}`], 4, [`dev runs ${short(t0.dev!)}, not sha256:000000000000`, '--to staging --digest']],
      [['dev', 'production', '--yes'], 4, ['dev -> production skips staging', '--skip-staging']],
      [['dev', 'staging'], 4, ['needs confirmation but stdin is not a terminal', '--yes']],
      [['--undo', 'staging', '--yes'], 4, ['staging has no previous digest', '--to staging --digest']],
    ]
    for (const [args, code, words] of cases) {
      w.f.clearCalls()
      const r = await w.run(args)
      assert.is(r.code, code, `${args.join(' ')}: ${line(r)}`)
      for (const word of words) assert.match(r.stderr, word, args.join(' '))
      assert.not.match(r.stderr, /\n\s+at /, 'no stack trace')
      assert.equal(w.f.calls().filter(isMutating).map(callLine), [], args.join(' '))
    }
    assert.equal(w.tags(), t0)
  } finally {
    w.cleanup()
  }
  const git = clusterWorld({ FLUX_MODE: 'git', FLUX_GIT_URL: 'ssh://git@example.com/o/r.git' })
  try {
    const r = await runScript('promote', ['dev', 'staging', '--yes'], { env: git.env })
    assert.is(r.code, 2, line(r))
    assert.match(r.stderr, 'FLUX_MODE=git')
    assert.match(r.stderr, 'bootstrap/README.md')
    assert.equal(git.calls(), [])
  } finally {
    git.cleanup()
  }
})

test('--dry-run shows the diff and what would happen, needs no terminal, and moves nothing', async () => {
  const w = suite.world()
  try {
    const t1 = w.tags()
    w.f.clearCalls()
    const r = await w.run(['dev', 'staging', '--dry-run'])
    assert.is(r.code, 0, line(r))
    assert.match(r.stdout, '~ Deployment demo-staging/demo')
    assert.match(r.stdout, 'dry-run: nothing changed')
    assert.match(r.stdout, `would\n  run the gate: smoke + netpol checks of dev\n  move the tag staging to sha256:${t1.dev}`)
    assert.equal(w.f.calls().filter(isMutating).map(callLine), [])
    assert.not.ok(w.f.calls('kubectl').some((c) => c.argv.includes('port-forward') || c.argv.includes('debug')), 'no gate under --dry-run')
    assert.equal(w.tags(), t1)
  } finally {
    w.cleanup()
  }
})

test.run()
