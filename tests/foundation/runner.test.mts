import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT, StepError } from '../../scripts/lib/shell/errors.mts'
import { clearSecrets, redact, redactArgs, registerSecret } from '../../scripts/lib/shell/redact.mts'
import { createRunner, lastLine, withMargin } from '../../scripts/lib/shell/run.mts'
import { REPO } from '../helpers/fakes.mts'
import { runNode } from '../helpers/proc.mts'

const capture = () => {
  const lines: string[] = []
  return { lines, log: (l: string) => { lines.push(l) } }
}

test('a tool never runs under the user\'s ~/.bashrc, even with SHLVL unset (cron, systemd, some CI)', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-home-'))
  try {
    const marker = path.join(home, 'bashrc-ran')
    fs.writeFileSync(path.join(home, '.bashrc'), `touch ${marker}\n`)
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home }
    delete env.SHLVL
    const r = createRunner({ env, log: () => {} })
    const res = await r.run('sh', ['-c', 'echo ran'], { step: 'test' })
    assert.is(res.stdout.trim(), 'ran')
    assert.not.ok(fs.existsSync(marker), '~/.bashrc was sourced')
  } finally {
    fs.rmSync(home, { recursive: true, force: true })
  }
})

test('dry-run prints mutating calls instead of running them, but runs read-only queries', async () => {
  const c = capture()
  const r = createRunner({ dryRun: true, log: c.log })
  const mut = await r.run('sh', ['-c', 'exit 7'], { step: 's', mutating: true })
  assert.is(mut.dryRun, true)
  assert.is(mut.exitCode, 0)
  assert.equal(c.lines, ["[dry-run] sh -c 'exit 7'"])
  const q = await r.run('sh', ['-c', 'echo hi'], { step: 's' })
  assert.is(q.stdout.trim(), 'hi')
  assert.equal(r.planned, ["sh -c 'exit 7'"])
})

test('a failing command becomes a StepError with step, redacted command and hint', async () => {
  clearSecrets()
  registerSecret('s3cr3t-token-value')
  const r = createRunner({ log: () => {} })
  try {
    await r.run('sh', ['-c', 'echo "auth failed for s3cr3t-token-value" >&2; exit 3', 'x', '--token', 's3cr3t-token-value'], { step: 'flux bootstrap', hint: 'check the token' })
    assert.unreachable()
  } catch (e) {
    assert.instance(e, StepError)
    const s = e as StepError
    assert.is(s.step, 'flux bootstrap')
    assert.is(s.exitCode, EXIT.commandFailed)
    assert.is(s.hint, 'check the token')
    assert.match(s.message, 'exit code 3: auth failed for ***')
    assert.not.match(s.command ?? '', 's3cr3t')
    assert.match(s.command ?? '', '--token ***')
  }
})

test('a missing tool is reported as such with an install hint', async () => {
  const r = createRunner({ log: () => {} })
  try {
    await r.run('kind', ['version'], { step: 'cluster' })
    assert.unreachable()
  } catch (e) {
    const s = e as StepError
    assert.is(s.exitCode, EXIT.missingTool)
    assert.match(s.message, 'kind is not installed')
    assert.match(s.hint ?? '', 'install kind')
  }
})

test('timeouts kill the command and say so', async () => {
  const r = createRunner({ log: () => {} })
  try {
    await r.run('sleep', ['30'], { step: 'wait', timeoutMs: 200 })
    assert.unreachable()
  } catch (e) {
    assert.is((e as StepError).exitCode, EXIT.timeout)
    assert.match((e as StepError).message, 'timed out')
  }
})

test('a child that traps SIGTERM and exits 143 still reads "timed out after Ns" (exit 6), and its whole group dies', async () => {
  const dir = (await import('../helpers/tmp.mts')).tempDir()
  const r = createRunner({ log: () => {} })
  const pidFile = path.join(dir, 'pid')
  try {
    await r.run('sh', ['-c', `trap 'exit 143' TERM; sleep 30 & echo $! > ${pidFile}; wait`], { step: 'kind create', timeoutMs: 400 })
    assert.unreachable()
  } catch (e) {
    const s = e as StepError
    assert.is(s.exitCode, EXIT.timeout)
    assert.is(s.message, 'timed out after 0.4s')
    assert.not.match(s.message, '143')
  }
  // on a loaded machine the shell may be killed before it started the sleeper; when it did, the sleeper died too
  if (fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim()) {
    const sleeper = Number(fs.readFileSync(pidFile, 'utf8'))
    const alive = () => { try { process.kill(sleeper, 0); return true } catch { return false } }
    for (let i = 0; i < 100 && alive(); i++) await new Promise((res) => setTimeout(res, 20))
    assert.not.ok(alive(), 'the grandchild outlived the timeout')
  }
})

test('a nothrow call that times out says so in its result, for callers that build their own message', async () => {
  const r = createRunner({ log: () => {} })
  const res = await r.run('sleep', ['30'], { step: 'doctor', timeoutMs: 200, nothrow: true })
  assert.is(res.ok, false)
  assert.is(res.timedOut, true)
  assert.is(lastLine(res.stderr), 'timed out after 0.2s')
})

test('a timed-out call is not retried: the limit is the limit', async () => {
  const lines: string[] = []
  const r = createRunner({ verbose: true, log: (l) => { lines.push(l) } })
  const res = await r.run('sleep', ['30'], { step: 'push', timeoutMs: 200, retries: 3, retryDelayMs: 1, nothrow: true })
  assert.is(res.timedOut, true)
  assert.equal(lines.filter((l) => l.startsWith('$ ')), ['$ sleep 30'])
  assert.not.ok(lines.some((l) => /retrying/.test(l)), lines.join('\n'))
})

test('the time limit of a call with its own deadline is that deadline plus a small margin', () => {
  assert.is(withMargin(20_000), 22_000)
  assert.is(withMargin(300_000), 330_000)
  assert.is(withMargin(3_600_000), 3_630_000)
  assert.is(withMargin(2_000), 3_000)
})

test('the reason of a failure is the daemon\'s own line, not a pointer to --help', async () => {
  const run = "docker: Error response from daemon: driver failed programming external connectivity on endpoint kind-registry (abc): Bind for 127.0.0.1:5001 failed: port is already allocated\n\nRun 'docker run --help' for more information\n"
  assert.is(lastLine(run), 'Error response from daemon: driver failed programming external connectivity on endpoint kind-registry (abc): Bind for 127.0.0.1:5001 failed: port is already allocated')
  assert.is(lastLine('Error response from daemon: No such container: x\nError: failed to start containers: x\n'), 'Error response from daemon: No such container: x')
  assert.is(lastLine("docker: 'docker run' requires at least 1 argument\n\nSee 'docker run --help' for more information\n"), "docker: 'docker run' requires at least 1 argument")
  assert.is(lastLine('line one\nError from server (NotFound): namespaces "x" not found\n'), 'Error from server (NotFound): namespaces "x" not found')
  const dir = (await import('../helpers/tmp.mts')).tempDir()
  fs.writeFileSync(path.join(dir, 'err'), run)
  const r = createRunner({ log: () => {} })
  try {
    await r.run('sh', ['-c', `cat ${dir}/err >&2; exit 125`], { step: 'registry' })
    assert.unreachable()
  } catch (e) {
    assert.match((e as StepError).message, 'port is already allocated')
    assert.not.match((e as StepError).message, '--help')
  }
})

test('no Node warning (DEP0190 or other) reaches the output when a command times out or is interrupted', async () => {
  const probe = path.join(REPO, 'tests', 'fixtures', 'cli', 'run-probe.mts')
  const env = { ...process.env, PLATFORM_ENV_FILE: '/dev/null', PROBE_SCRIPT: 'sleep 30', PROBE_TIMEOUT_MS: '300' }
  const r = await runNode([path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), probe], { env })
  assert.is(r.code, EXIT.timeout, r.stderr)
  assert.match(r.stderr, 'timed out after 0.3s')
  assert.not.match(r.stderr, /Warning|DEP0\d+|trace-deprecation/)
})

test('retries repeat a flaky call until it succeeds', async () => {
  const dir = (await import('../helpers/tmp.mts')).tempDir()
  const r = createRunner({ log: () => {} })
  const script = `n=$(cat ${dir}/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/n; [ $n -ge 3 ]`
  const res = await r.run('sh', ['-c', script], { step: 'push', retries: 3, retryDelayMs: 1 })
  assert.is(res.exitCode, 0)
})

test('redaction covers registered secrets, secret flags and auth headers', () => {
  clearSecrets()
  registerSecret('hunter2-password')
  assert.is(redact('pw=hunter2-password!'), 'pw=***!')
  assert.equal(redactArgs(['--password=abc', '--token', 'xyz', 'plain']), ['--password=***', '--token', '***', 'plain'])
  assert.is(redact('Authorization: Bearer abc.def'), 'Authorization: ***'.replace('***', 'Bearer ***'))
})

test('--verbose echoes commands and output with the token shown as ***', async () => {
  const probe = path.join(REPO, 'tests', 'fixtures', 'cli', 'run-probe.mts')
  const token = 'ghp_abcdefghijklmnop1234'
  const env = { ...process.env, PLATFORM_ENV_FILE: '/dev/null', GITHUB_TOKEN: token, PROBE_SCRIPT: 'echo "using $TOKEN" >&2; echo "$1"' }
  const r = await runNode([path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), probe, '--verbose', '--', token], { env })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, '$ sh -c')
  assert.match(r.stderr, 'using ***')
  assert.not.match(r.stderr + r.stdout, token)
})

test('--dry-run on the real command line runs nothing mutating', async () => {
  const probe = path.join(REPO, 'tests', 'fixtures', 'cli', 'run-probe.mts')
  const env = { ...process.env, PLATFORM_ENV_FILE: '/dev/null', PROBE_SCRIPT: 'exit 9' }
  const r = await runNode([path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), probe, '--dry-run', '--mutating'], { env })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, 'exit=0 dry=true')
  assert.match(r.stderr, '[dry-run] sh -c')
})

test.run()
