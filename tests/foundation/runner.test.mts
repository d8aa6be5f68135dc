import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT, StepError } from '../../scripts/lib/shell/errors.mts'
import { clearSecrets, redact, redactArgs, registerSecret } from '../../scripts/lib/shell/redact.mts'
import { createRunner } from '../../scripts/lib/shell/run.mts'
import { REPO } from '../helpers/fakes.mts'
import { runNode } from '../helpers/proc.mts'

const capture = () => {
  const lines: string[] = []
  return { lines, log: (l: string) => { lines.push(l) } }
}

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
  const env = { ...process.env, PLATFORM_ENV_FILE: '/nonexistent/.env', GITHUB_TOKEN: token, PROBE_SCRIPT: 'echo "using $TOKEN" >&2; echo "$1"' }
  const r = await runNode([path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), probe, '--verbose', '--', token], { env })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, '$ sh -c')
  assert.match(r.stderr, 'using ***')
  assert.not.match(r.stderr + r.stdout, token)
})

test('--dry-run on the real command line runs nothing mutating', async () => {
  const probe = path.join(REPO, 'tests', 'fixtures', 'cli', 'run-probe.mts')
  const env = { ...process.env, PLATFORM_ENV_FILE: '/nonexistent/.env', PROBE_SCRIPT: 'exit 9' }
  const r = await runNode([path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), probe, '--dry-run', '--mutating'], { env })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, 'exit=0 dry=true')
  assert.match(r.stderr, '[dry-run] sh -c')
})

test.run()
