// Ctrl-C: children die with us, we exit 130 with one line, and no stack trace.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { REPO } from '../helpers/fakes.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const alive = (pid: number) => { try { process.kill(pid, 0); return true } catch { return false } }

test('SIGINT kills the running child process and exits 130', async () => {
  const dir = tempDir()
  let child: ChildProcess | undefined
  try {
    const pidFile = path.join(dir, 'pid')
    const env: NodeJS.ProcessEnv = { ...process.env, PLATFORM_ENV_FILE: '/dev/null', PROBE_SCRIPT: `sleep 30 & echo $! > ${pidFile}; wait` }
    child = spawn(process.execPath, [path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), path.join(REPO, 'tests', 'fixtures', 'cli', 'run-probe.mts')], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (d) => { stderr += d })
    let exited: number | null | undefined
    child.on('exit', (c) => { exited = c })
    // until the probe has started its child (a bound, not an expectation: a loaded machine may take long)
    for (let i = 0; i < 2400 && !fs.existsSync(pidFile) && exited === undefined; i++) await new Promise((r) => setTimeout(r, 50))
    assert.ok(fs.existsSync(pidFile), `the probe never started its child (exit ${exited}): ${stderr}`)
    const sleeper = Number(fs.readFileSync(pidFile, 'utf8'))
    assert.ok(alive(sleeper))
    child.kill('SIGINT')
    const running = child
    const code = await new Promise<number | null>((r) => running.on('close', (c) => r(c)))
    assert.is(code, 130, stderr)
    assert.match(stderr, 'interrupted by Ctrl-C')
    assert.is(stderr.match(/interrupted by Ctrl-C/g)?.length, 1, stderr)
    assert.not.match(stderr, /\n\s+at /)
    for (let i = 0; i < 50 && alive(sleeper); i++) await new Promise((r) => setTimeout(r, 50))
    assert.not.ok(alive(sleeper), 'the child outlived the command')
  } finally {
    child?.kill('SIGKILL')
    removeDir(dir)
  }
})

test.run()
