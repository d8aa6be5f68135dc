// The local side of down: where the password file is, forwards.json and pids. (What down may remove in the state
// dir is the journal's business: tests/foundation/state-manifest.test.mts.)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { dropForwards, looksLikePortForward, observeForwards, processInfo, readForwards, recordForward, stopProcess } from '../../scripts/lib/down/forwards.mts'
import { credentialsFile, observeLocal } from '../../scripts/lib/down/local.mts'
import { createRunner } from '../../scripts/lib/shell/run.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'
import { alive, fakePortForward, unrelatedProcess } from './world.mts'

const runner = createRunner({ log: () => {} })

test('the password file counts only inside the state dir and when the suite wrote it, whatever state.json says', () => {
  const dir = tempDir('down-local-')
  try {
    const state = path.join(dir, '.platform')
    fs.mkdirSync(state)
    fs.writeFileSync(path.join(state, 'grafana-admin-password'), 'x')
    assert.is(credentialsFile(state, dir, { version: 1 }, ['grafana-admin-password']), path.join(state, 'grafana-admin-password'))
    const owned = ['grafana-admin-password']
    assert.is(credentialsFile(state, dir, { version: 1, grafana: { secretFile: 'grafana-admin-password' } }, owned), path.join(state, 'grafana-admin-password'))
    assert.is(credentialsFile(state, dir, { version: 1, grafana: { secretFile: '.platform/grafana-admin-password' } }, owned), path.join(state, 'grafana-admin-password'))
    assert.is(credentialsFile(state, dir, { version: 1, grafana: { secretFile: '/etc/passwd' } }, owned), undefined)
    assert.is(credentialsFile(state, dir, { version: 1, grafana: { secretFile: '../../etc/passwd' } }, owned), undefined)
    // a file of that name the suite did not write is someone else's
    assert.is(credentialsFile(state, dir, { version: 1, grafana: { secretFile: 'grafana-admin-password' } }, []), undefined)
  } finally {
    removeDir(dir)
  }
})

test('forwards.json: tolerant reading, recording, and dropping entries keeps what other commands added', () => {
  const dir = tempDir('down-fwd-')
  try {
    assert.equal(readForwards(dir), [])
    fs.writeFileSync(path.join(dir, 'forwards.json'), '{not json')
    assert.equal(readForwards(dir), [])
    fs.writeFileSync(path.join(dir, 'forwards.json'), JSON.stringify({ forwards: [{ pid: 10, what: 'a' }, { pid: 'x' }, { pid: 1 }, null, { pid: 11 }] }))
    assert.equal(readForwards(dir), [{ pid: 10, what: 'a' }, { pid: 11, what: 'pid 11' }])
    fs.writeFileSync(path.join(dir, 'forwards.json'), JSON.stringify([{ pid: 20, what: 'grafana', owner: 19, target: 'grafana', port: 3000 }, { pid: 21, what: 'dev' }]))
    recordForward(dir, { pid: 22, what: 'prometheus' })
    dropForwards(dir, [21])
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'forwards.json'), 'utf8')), [{ pid: 20, what: 'grafana', owner: 19, target: 'grafana', port: 3000 }, { pid: 22, what: 'prometheus' }])
    dropForwards(dir, [20, 22])
    assert.not.ok(fs.existsSync(path.join(dir, 'forwards.json')), 'no entries left: no file')
  } finally {
    removeDir(dir)
  }
})

test('what counts as a port-forward command line', () => {
  assert.ok(looksLikePortForward('kubectl --context kind-platform -n monitoring port-forward --address 127.0.0.1 svc/grafana 3000:80'))
  assert.ok(looksLikePortForward('/usr/local/bin/kubectl port-forward svc/x 1:2'))
  assert.ok(looksLikePortForward('platform forward: port-forward supervisor'))
  assert.not.ok(looksLikePortForward('vim port-forwarding-notes.md'))
  assert.not.ok(looksLikePortForward('node server.js'))
})

test('pids: a live port-forward is ours, a reused pid and a dead one are not; stopping is verified', async () => {
  const dir = tempDir('down-pid-')
  const pf = fakePortForward()
  const other = unrelatedProcess()
  try {
    assert.is((await processInfo(999_999_999, runner)).alive, false)
    fs.writeFileSync(path.join(dir, 'forwards.json'), JSON.stringify([{ pid: pf.pid, what: 'grafana' }, { pid: other.pid, what: 'dev' }, { pid: 999_999_999, what: 'gone' }]))
    const seen = await observeForwards(dir, runner)
    assert.equal(seen.map((f) => [f.what, f.live, f.ours]), [['grafana', true, true], ['dev', true, false], ['gone', false, false]])
    assert.ok(await stopProcess(pf.pid!, runner))
    assert.not.ok(alive(pf.pid!))
    const local = await observeLocal(dir, os.tmpdir(), { version: 1 }, runner)
    assert.equal(local.forwards.map((f) => f.ours), [false, false, false])
  } finally {
    for (const c of [pf, other]) { try { process.kill(c.pid!, 'SIGKILL') } catch { /* gone */ } }
    removeDir(dir)
  }
})

test('a process that ignores SIGTERM is killed after the grace period', async () => {
  const { spawn } = await import('node:child_process')
  const stubborn = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1 << 30)', 'port-forward'], { stdio: 'ignore', detached: true })
  stubborn.unref()
  try {
    await new Promise((r) => setTimeout(r, 300)) // let it install its handler
    assert.ok(await stopProcess(stubborn.pid!, runner, 300))
    assert.not.ok(alive(stubborn.pid!))
  } finally {
    try { process.kill(stubborn.pid!, 'SIGKILL') } catch { /* gone */ }
  }
})

test.run()
