// promote dev staging against the fake CLIs, as a user runs it: the diff, the gate (the real demo app behind the
// fake port-forward), the tag move, the reconcile and the target's smoke; a dev that answers 500 turns the gate red
// and nothing changes. The template ran up and a sync with a new image: dev runs a digest staging does not.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { isMutating, line as callLine } from '../up/world.mts'
import { GATE_FLAGS, line, short, syncedTemplate } from './world.mts'

const suite = syncedTemplate(test)

test('promote dev staging: shows the diff, runs the gate on dev, moves staging, reconciles and smokes it; a second run does nothing', async () => {
  const w = suite.world()
  try {
    const t0 = w.tags()
    const dev = t0.dev!
    w.f.clearCalls()
    const r = await w.run(['dev', 'staging', '--yes', ...GATE_FLAGS])
    assert.is(r.code, 0, line(r))
    assert.match(r.stdout, `promote dev → staging: ${short(dev)} (what dev runs)`)
    assert.match(r.stdout, `diff of apps/overlays/staging (${short(t0.staging!)} → ${short(dev)}):`)
    assert.match(r.stdout, '~ Deployment demo-staging/demo')
    assert.match(r.stdout, 'spec.template.spec.containers[demo].image: "kind-registry:5000/demo:aaaaaaaaaaaa" → "kind-registry:5000/demo:bbbbbbbbbbbb"')
    assert.match(r.stdout, '✔ gate: dev is green')
    assert.match(r.stdout, `✔ staging runs ${short(dev)} (was ${short(t0.staging!)})`)
    const t1 = w.tags()
    assert.is(t1.staging, dev)
    assert.is(t1['staging-previous'], t0.staging)
    assert.is(t1.production, t0.production, 'production did not move')
    assert.is(w.image('staging'), 'kind-registry:5000/demo:bbbbbbbbbbbb')
    assert.is(w.image('production'), 'kind-registry:5000/demo:aaaaaaaaaaaa')
    // order: both artifacts pulled, the gate probed dev, then the tag moved, then staging reconciled and smoked
    const calls = w.f.calls().map(callLine)
    const at = (re: RegExp) => calls.findIndex((l) => re.test(l))
    const last = (re: RegExp) => calls.findLastIndex((l) => re.test(l))
    const pulls = calls.filter((l) => l.startsWith('flux pull artifact oci://localhost:5001/apps@sha256:'))
    assert.is(pulls.length, 2, calls.join('\n'))
    const gateSmoke = last(/-n demo-dev port-forward/)
    const gateNetpol = last(/ debug .*-n demo-dev|-n demo-dev .*debug|exec .*demo-dev|-n demo-dev exec/)
    const tag = at(/^flux tag artifact /)
    const apply = at(/^flux reconcile kustomization apps-staging --namespace flux-system --context kind-platform --timeout=\d+s --with-source$/)
    const smoke = at(/-n demo-staging port-forward/)
    assert.ok(gateSmoke >= 0 && gateNetpol >= 0, 'the gate checked dev')
    assert.ok(Math.max(gateSmoke, gateNetpol) < tag && tag < apply && apply < smoke, calls.join('\n'))
    assert.equal(calls.filter((l) => l.startsWith('flux tag artifact')), [
      `flux tag artifact oci://localhost:5001/apps@sha256:${t0.staging} --tag staging-previous`,
      `flux tag artifact oci://localhost:5001/apps@sha256:${dev} --tag staging`,
    ])
    const log = fs.readFileSync(path.join(w.f.env.STATE_DIR!, 'promotions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    assert.equal(log.at(-1), { ...log.at(-1), env: 'staging', action: 'promote', from: `sha256:${t0.staging}`, to: `sha256:${dev}`, source: 'dev' })

    w.f.clearCalls()
    const again = await w.run(['dev', 'staging', '--yes', '--json'])
    assert.is(again.code, 0, line(again))
    const j = JSON.parse(again.stdout)
    assert.is(j.ok, true)
    assert.match(j.noop, 'staging already runs')
    assert.equal(w.f.calls().filter(isMutating).map(callLine), [])
  } finally {
    w.cleanup()
  }
})

test('a red gate (dev answers 500 on /work) refuses with exit 1 and changes nothing', async () => {
  const w = suite.world()
  try {
    const t0 = w.tags()
    const t1 = t0
    w.route('dev', suite.services.apps.broken)
    w.f.clearCalls()
    const r = await w.run(['dev', 'staging', '--yes', '--json', ...GATE_FLAGS])
    assert.is(r.code, 1, line(r))
    assert.match(r.stderr, '✖ promote/gate: the checks of dev failed')
    assert.match(r.stderr, 'dev/work')
    assert.match(r.stderr, 'nothing was changed')
    const j = JSON.parse(r.stdout)
    assert.equal([j.ok, j.moved, j.gate.ok], [false, false, false])
    assert.ok(j.diff.changed >= 1, 'the diff was shown before the gate')
    assert.equal(w.tags(), t1)
    assert.is(w.tags().staging, t0.staging)
    assert.is(w.image('staging'), 'kind-registry:5000/demo:aaaaaaaaaaaa')
    assert.not.ok(w.f.calls().map(callLine).some((l) => l.startsWith('flux tag') || l.startsWith('flux reconcile')), 'no tag moved, nothing reconciled')
  } finally {
    w.cleanup()
  }
})

test.run()
