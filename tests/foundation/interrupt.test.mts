// Ctrl-C: children die with us, we exit 130 with one line, and no stack trace.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { REPO } from '../helpers/fakes.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const alive = (pid: number) => { try { process.kill(pid, 0); return true } catch { return false } }

test('SIGINT kills the running child process and exits 130', async () => {
  const dir = tempDir()
  try {
    const pidFile = path.join(dir, 'pid')
    const env: NodeJS.ProcessEnv = { ...process.env, PLATFORM_ENV_FILE: '/dev/null', PROBE_SCRIPT: `sleep 30 & echo $! > ${pidFile}; wait` }
    const child = spawn(process.execPath, [path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), path.join(REPO, 'tests', 'fixtures', 'cli', 'run-probe.mts')], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => { stderr += d })
    for (let i = 0; i < 200 && !fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50))
    const sleeper = Number(fs.readFileSync(pidFile, 'utf8'))
    assert.ok(alive(sleeper))
    child.kill('SIGINT')
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)))
    assert.is(code, 130, stderr)
    assert.match(stderr, 'interrupted by Ctrl-C')
    assert.is(stderr.match(/interrupted by Ctrl-C/g)?.length, 1, stderr)
    assert.not.match(stderr, /\n\s+at /)
    for (let i = 0; i < 50 && alive(sleeper); i++) await new Promise((r) => setTimeout(r, 50))
    assert.not.ok(alive(sleeper), 'the child outlived the command')
  } finally {
    removeDir(dir)
  }
})

test.run()
