// One mutating run at a time (CommandSpec.lock): a second up while one runs, and down/sync while a run holds the
// lock, refuse at once with exit 4 naming the holder; a stale lock is taken over with a note; read-only commands
// and --dry-run never take it.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { acquireLock, LOCK_FILE } from '../../scripts/lib/shell/lock.mts'
import { LAYER, mutatingLines, world } from '../cluster/support.mts'
import { commandLines, fakeEnv, REPO } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { kindWorld } from '../down/world.mts'

const ZX_CLI = path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Poll for a condition (not a race with a fixed sleep): give up after `ms`. */
async function until(what: string, check: () => boolean, ms = 120_000): Promise<void> {
  for (const t0 = Date.now(); !check(); await sleep(100)) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`)
  }
}

test('a second up while one runs exits 4 at once naming the first (command and PID); neither deletes anything', async () => {
  const w = await world()
  // the second run gets its own fake tools: if it ran any of them, they would record it here
  const other = fakeEnv()
  try {
    w.inject({ tool: 'kind', match: ['create', 'cluster'], hang: true })
    const first = spawn(process.execPath, [ZX_CLI, path.join(REPO, 'scripts', 'up.mts'), ...LAYER], { cwd: REPO, env: w.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let firstErr = ''
    first.stderr!.on('data', (d) => { firstErr += d })
    const firstExit = new Promise<number | null>((r) => first.on('close', (c) => r(c)))
    await until('the first up to be inside kind create', () => commandLines(w.calls()).some((l) => l.startsWith('kind create cluster')))

    const t0 = Date.now()
    const second = await runScript('up', LAYER, { env: { ...other.env, STATE_DIR: w.env.STATE_DIR }, timeoutMs: 180_000 })
    const ms = Date.now() - t0
    assert.is(second.code, 4, second.stderr)
    assert.match(second.stderr, new RegExp(`✖ lock: up \\(PID ${first.pid}, started \\d\\d:\\d\\d:\\d\\d\\) is already changing this platform — wait for it to finish or stop it \\(kill ${first.pid}`))
    assert.equal(other.calls(), [], 'the second up ran no tool before refusing')
    assert.not.match(second.stderr, /\n\s+at /)
    process.stderr.write(`  (second up refused after ${ms} ms, process start included)\n`)

    first.kill('SIGTERM')
    assert.is(await firstExit, 130, firstErr)
    assert.not.ok(mutatingLines(w.calls()).some((l) => /^(kind delete|docker rm)/.test(l)), mutatingLines(w.calls()).join('\n'))
    assert.not.ok(fs.existsSync(path.join(w.env.STATE_DIR!, LOCK_FILE)), 'the interrupted run released its lock')
  } finally {
    w.cleanup()
    other.cleanup()
  }
})

test('down and sync refuse while another run holds the lock; --dry-run and read-only commands do not take it', async () => {
  const w = await kindWorld()
  const lock = acquireLock(w.stateDir, 'up')
  try {
    const before = w.snapshot()
    for (const [script, args] of [['down', ['--yes']], ['sync', []]] as const) {
      w.f.clearCalls()
      const r = await runScript(script, [...args], { env: w.env, timeoutMs: 180_000 })
      assert.is(r.code, 4, `${script}: ${r.stderr}`)
      assert.match(r.stderr, `✖ lock: up (PID ${process.pid}, started `)
      assert.equal(w.f.calls(), [], `${script} ran a tool before refusing`)
    }
    // a dry run changes nothing: it plans, and says who is changing the platform right now
    const dry = await runScript('down', ['--dry-run'], { env: w.env })
    assert.is(dry.code, 0, dry.stderr)
    assert.match(dry.stderr, `up (PID ${process.pid}, started `)
    assert.match(dry.stderr, 'is changing this platform right now')
    const status = await runScript('status', [], { env: w.env })
    assert.not.match(status.stderr, 'lock:')
    assert.not.equal(status.code, 4, status.stderr)
    assert.equal(w.snapshot(), before)
  } finally {
    lock.release()
    w.cleanup()
  }
  assert.not.ok(fs.existsSync(path.join(w.stateDir, LOCK_FILE)))
})

test('a lock left by a run that died (SIGKILL) is taken over with a note, and the run goes ahead', async () => {
  const w = await kindWorld()
  try {
    const dead = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    await new Promise((r) => dead.on('close', r))
    fs.writeFileSync(path.join(w.stateDir, LOCK_FILE), JSON.stringify({ pid: dead.pid, command: 'up', startedAt: new Date().toISOString(), hostname: (await import('node:os')).hostname(), token: 'x' }))
    const r = await runScript('down', ['--yes'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, `⚠ lock: took over the lock of up (PID ${dead.pid}, started `)
    assert.match(r.stderr, 'that process is gone')
    assert.equal(w.clusters(), [])
    assert.not.ok(fs.existsSync(w.stateDir), 'the state dir, lock included, is gone')
  } finally {
    w.cleanup()
  }
})

test.run()
