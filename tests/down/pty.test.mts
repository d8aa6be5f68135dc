// `down` at a real terminal (python3 pty): the multi-select decides what goes, the final question names the
// cluster, and Ctrl-C or "no" at any prompt deletes nothing.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { KEY, runScriptInPty, type PtyResult } from '../helpers/pty.mts'
import { kindWorld, kubectlCallsWithoutContext, PASSWORD, type World } from './world.mts'

const SELECT = 'Select what to delete'
const destructive = (w: World) => commandLines(w.f.calls()).filter((l) => /^(kind delete|docker (rm|network rm)|kubectl .*(delete))/.test(l))
const show = (r: PtyResult) => `exit ${r.code}, failed step ${JSON.stringify(r.failedStep)}\n${r.output}`

test('the multi-select decides: keep the cluster, delete the registry and the state, keep the password file', async () => {
  const w = await kindWorld()
  try {
    w.f.clearCalls()
    // choices, in order: cluster [x], registry [ ], local state [x], credentials [x]
    const r = await runScriptInPty('down', [], {
      env: w.env,
      steps: [
        { expect: SELECT, send: KEY.space }, // cluster off
        { send: KEY.down }, { send: KEY.space }, // registry on
        { send: KEY.down }, { send: KEY.down }, { send: KEY.space }, // credentials off
        { send: KEY.enter },
        { expect: 'kind cluster "platform" is kept', send: 'y' },
      ],
    })
    assert.is(r.code, 0, show(r))
    assert.equal(w.clusters(), ['platform'], 'the cluster stays')
    assert.ok(w.contexts().includes('kind-platform'))
    assert.not.ok(w.containers().includes('kind-registry'), 'the registry went')
    assert.equal(fs.readdirSync(w.stateDir), ['grafana-admin-password'], 'state went, the password file stayed')
    assert.equal(destructive(w), ['docker rm -f -v kind-registry'])
    assert.equal(kubectlCallsWithoutContext(w.f, 'kind-platform'), [])
    assert.is(w.currentContext(), 'prod-eks')
    assert.not.match(r.output, PASSWORD)
  } finally {
    w.cleanup()
  }
})

test('defaults + Enter + yes: the question names the cluster; cluster and state go, the registry stays', async () => {
  const w = await kindWorld()
  try {
    const r = await runScriptInPty('down', [], {
      env: w.env,
      steps: [
        { expect: SELECT, send: KEY.enter },
        { expect: 'Delete kind cluster "platform" and 2 more items\\? This cannot be undone', send: 'y' },
      ],
    })
    assert.is(r.code, 0, show(r))
    assert.match(r.output, 'registry container "kind-registry"')
    assert.equal(w.clusters(), [])
    assert.equal(w.containers(), ['kind-registry'])
    assert.not.ok(fs.existsSync(w.stateDir))
    assert.equal(w.contexts(), ['prod-eks'])
  } finally {
    w.cleanup()
  }
})

test('Ctrl-C at the multi-select deletes nothing (exit 130)', async () => {
  const w = await kindWorld()
  try {
    const before = w.snapshot()
    w.f.clearCalls()
    const r = await runScriptInPty('down', [], { env: w.env, steps: [{ expect: SELECT, send: KEY.ctrlC }] })
    assert.is(r.code, 130, show(r))
    assert.not.match(r.output, /ERR_USE_AFTER_CLOSE|at .*node:internal/)
    assert.equal(destructive(w), [])
    assert.equal(w.snapshot(), before)
  } finally {
    w.cleanup()
  }
})

test('Ctrl-C at the final question deletes nothing; so do answering no and selecting nothing', async () => {
  const w = await kindWorld()
  try {
    const before = w.snapshot()
    w.f.clearCalls()
    const c = await runScriptInPty('down', ['--all'], { env: w.env, steps: [{ expect: SELECT, send: KEY.enter }, { expect: 'Delete kind cluster "platform"', send: KEY.ctrlC }] })
    assert.is(c.code, 130, show(c))
    const n = await runScriptInPty('down', [], { env: w.env, steps: [{ expect: SELECT, send: KEY.enter }, { expect: 'Delete kind cluster "platform"', send: 'n' }] })
    assert.is(n.code, 0, show(n))
    assert.match(n.output, 'nothing deleted')
    // everything deselected: no question at all
    const none = await runScriptInPty('down', [], {
      env: w.env,
      steps: [{ expect: SELECT, send: KEY.space }, { send: KEY.down }, { send: KEY.down }, { send: KEY.space }, { send: KEY.down }, { send: KEY.space }, { send: KEY.enter }],
    })
    assert.is(none.code, 0, show(none))
    assert.match(none.output, 'Nothing selected: nothing deleted')
    assert.not.match(none.output, 'Delete kind cluster')
    assert.equal(destructive(w), [])
    assert.equal(w.snapshot(), before)
    assert.ok(fs.existsSync(path.join(w.stateDir, 'state.json')))
  } finally {
    w.cleanup()
  }
})

test('--all preselects the registry in the prompt', async () => {
  const w = await kindWorld()
  try {
    const r = await runScriptInPty('down', ['--all'], { env: w.env, steps: [{ expect: SELECT, send: KEY.enter }, { expect: 'Delete kind cluster', send: 'y' }] })
    assert.is(r.code, 0, show(r))
    assert.equal(w.containers(), [])
    assert.not.ok('kind' in w.f.state().docker.networks)
  } finally {
    w.cleanup()
  }
})

test.run()
