import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { editDistance, KEYS, loadConfig, loadConfigReport, loadVersions, parseDuration, renderEnvExample, unknownKeyWarnings } from '../../scripts/lib/shell/config.mts'
import { StepError } from '../../scripts/lib/shell/errors.mts'
import { redact, clearSecrets } from '../../scripts/lib/shell/redact.mts'
import { REPO } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const noFile = { envFile: '/nonexistent/.env' }

function failure(env: NodeJS.ProcessEnv, envFile = noFile.envFile): StepError {
  try {
    loadConfig({ env, envFile })
  } catch (e) {
    if (e instanceof StepError) return e
    throw e
  }
  throw new Error('expected the config to be rejected')
}

test('defaults give a complete kind configuration', () => {
  const c = loadConfig({ env: {}, ...noFile })
  assert.is(c.provider, 'kind')
  assert.is(c.clusterName, 'platform')
  assert.is(c.kubeContext, 'kind-platform')
  assert.is(c.workers, 2)
  assert.is(c.registryPort, 5001)
  assert.equal(c.environments, ['dev', 'staging', 'production'])
  assert.is(c.reconcileTimeoutMs, 600_000)
  assert.match(c.nodeImage, /^kindest\/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/)
})

test('environment beats .env beats defaults', () => {
  const dir = tempDir()
  try {
    const file = path.join(dir, '.env')
    fs.writeFileSync(file, 'WORKERS=3\nREGISTRY_PORT=5050\n')
    const c = loadConfig({ env: { WORKERS: '4' }, envFile: file })
    assert.is(c.workers, 4)
    assert.is(c.registryPort, 5050)
    assert.is(c.ingressHttpPort, 8080)
  } finally {
    removeDir(dir)
  }
})

test('a bad value names the key, the value, where it came from and what is allowed', () => {
  const e = failure({ REGISTRY_PORT: 'abc' })
  assert.is(e.exitCode, 2)
  assert.match(e.message, 'REGISTRY_PORT="abc"')
  assert.match(e.message, 'from env')
  assert.match(e.message, 'a port from 1 to 65535')
  const w = failure({ WORKERS: '-1' })
  assert.match(w.message, 'WORKERS="-1"')
  assert.match(w.message, 'from 1 to 10')
  assert.match(failure({ CLUSTER_NAME: 'My_Cluster' }).message, 'CLUSTER_NAME')
  assert.match(failure({ ENVIRONMENTS: 'dev,qa' }).message, 'subset of dev,staging,production')
  assert.match(failure({ RECONCILE_TIMEOUT: '10 minutes' }).message, 'duration')
})

test('combinations that cannot work are rejected before anything runs', () => {
  assert.match(failure({ PLATFORM_PROVIDER: 'existing' }).message, 'needs KUBE_CONTEXT')
  assert.match(failure({ FLUX_MODE: 'git' }).message, 'needs FLUX_GIT_URL')
  assert.match(failure({ REGISTRY_PORT: '8080' }).message, 'REGISTRY_PORT and INGRESS_HTTP_PORT are both 8080')
  const c = loadConfig({ env: { PLATFORM_PROVIDER: 'existing', KUBE_CONTEXT: 'staging-eks' }, ...noFile })
  assert.is(c.kubeContext, 'staging-eks')
})

test('secret values are registered for redaction and never shown in errors', () => {
  clearSecrets()
  loadConfig({ env: { GITHUB_TOKEN: 'ghp_supersecretvalue123' }, ...noFile })
  assert.is(redact('token=ghp_supersecretvalue123'), 'token=***')
  const e = failure({ GRAFANA_ADMIN_PASSWORD: 'short' })
  assert.not.match(e.message, 'short')
  assert.match(e.message, 'GRAFANA_ADMIN_PASSWORD=***')
})

test('durations parse like kubectl/flux durations', () => {
  assert.is(parseDuration('90s'), 90_000)
  assert.is(parseDuration('5m'), 300_000)
  assert.is(parseDuration('1h30m'), 5_400_000)
  assert.throws(() => parseDuration('5'))
  assert.throws(() => parseDuration(''))
})

test('every invalid key is reported at once, one line each', () => {
  const e = failure({ REGISTRY_PORT: 'abc', WORKERS: '010', CLUSTER_TIMEOUT: '100000000h' })
  assert.is(e.exitCode, 2)
  const lines = e.message.split('\n')
  assert.is(lines.length, 3, e.message)
  assert.match(lines[0]!, 'WORKERS="010"')
  assert.match(lines[0]!, 'no leading zeros')
  assert.match(lines[1]!, 'REGISTRY_PORT="abc"')
  assert.match(lines[2]!, 'CLUSTER_TIMEOUT="100000000h"')
  assert.match(lines[2]!, 'at most 24h')
  assert.match(e.hint ?? '', 'fix these keys')
})

test('WORKERS=010 is rejected (not read as 10, nor as octal 8); durations are bounded to 24h', () => {
  assert.match(failure({ WORKERS: '010' }).message, 'without leading zeros')
  assert.match(failure({ REGISTRY_PORT: '05001' }).message, 'no leading zeros')
  assert.is(loadConfig({ env: { WORKERS: '10' }, ...noFile }).workers, 10)
  assert.is(loadConfig({ env: { RECONCILE_TIMEOUT: '24h' }, ...noFile }).reconcileTimeoutMs, 86_400_000)
  assert.match(failure({ HELM_TIMEOUT: '24h1s' }).message, 'HELM_TIMEOUT="24h1s" (from env) is invalid: expected a duration like 90s, 5m, 1h30m, from 1s to 24h (at most 24h)')
})

test('keys in .env that look like ours but are not are named with the closest key; unrelated keys are left alone', () => {
  assert.is(editDistance('REGISTY_PORT', 'REGISTRY_PORT'), 1)
  const w = unknownKeyWarnings(['REGISTY_PORT', 'PATH', 'GREETING', 'FLUX_VERISON', 'HELM_CACHE_HOME', 'WORKERS', 'DOCKER_HOST', 'worker'], '.env')
  assert.equal(w, [
    '.env: REGISTY_PORT is not a configuration key and is ignored (did you mean REGISTRY_PORT?)',
    '.env: FLUX_VERISON is not a configuration key and is ignored (did you mean FLUX_VERSION?)',
    '.env: HELM_CACHE_HOME is not a configuration key and is ignored (did you mean HELM_TIMEOUT?)',
    '.env: worker is not a configuration key and is ignored (did you mean WORKERS?)',
  ])
  const dir = tempDir()
  try {
    const file = path.join(dir, '.env')
    fs.writeFileSync(file, 'REGISTY_PORT=5002\nPATH=/x\n')
    const r = loadConfigReport({ env: {}, envFile: file })
    assert.is(r.config.registryPort, 5001)
    assert.equal(r.warnings.map((x) => x.replace(/^.*?: /, '')), ['REGISTY_PORT is not a configuration key and is ignored (did you mean REGISTRY_PORT?)'])
  } finally {
    removeDir(dir)
  }
})

test('an .env that is a directory is a usage error naming it, not an internal error', () => {
  const dir = tempDir()
  try {
    fs.mkdirSync(path.join(dir, '.env'))
    let e: StepError | undefined
    try { loadConfig({ env: {}, envFile: path.join(dir, '.env') }) } catch (x) { e = x as StepError }
    assert.instance(e, StepError)
    assert.is(e!.exitCode, 2)
    assert.match(e!.message, 'is a directory')
    assert.match(e!.message, path.join(dir, '.env'))
  } finally {
    removeDir(dir)
  }
})

test('the real command: PLATFORM_ENV_FILE naming a missing file or a directory exits 2; a typo in .env is a warning', async () => {
  const dir = tempDir()
  try {
    const env = { ...process.env, PATH: `/nonexistent:${path.dirname(process.execPath)}` }
    let r = await runScript('status', [], { env: { ...env, PLATFORM_ENV_FILE: path.join(dir, 'missing.env') } })
    assert.is(r.code, 2, r.stderr)
    assert.match(r.stderr, `✖ config: PLATFORM_ENV_FILE=${path.join(dir, 'missing.env')}: no such file`)
    fs.mkdirSync(path.join(dir, 'envdir'))
    r = await runScript('status', [], { env: { ...env, PLATFORM_ENV_FILE: path.join(dir, 'envdir') } })
    assert.is(r.code, 2, r.stderr)
    assert.match(r.stderr, 'is a directory')
    assert.not.match(r.stderr, 'internal error')
    fs.writeFileSync(path.join(dir, 'typo.env'), 'REGISTY_PORT=5002\nWORKERS=010\nCLUSTER_TIMEOUT=100000000h\n')
    r = await runScript('status', [], { env: { ...env, PLATFORM_ENV_FILE: path.join(dir, 'typo.env') } })
    assert.is(r.code, 2, r.stderr)
    assert.match(r.stderr, 'REGISTY_PORT is not a configuration key and is ignored (did you mean REGISTRY_PORT?)')
    assert.match(r.stderr, 'WORKERS="010" (from .env)')
    assert.match(r.stderr, 'CLUSTER_TIMEOUT="100000000h" (from .env)')
  } finally {
    removeDir(dir)
  }
})

test('.env.example documents every key with its default', () => {
  const text = fs.readFileSync(path.join(REPO, '.env.example'), 'utf8')
  assert.is(text, renderEnvExample(loadVersions()), '.env.example is stale: regenerate it with `npm run env-example`')
  for (const k of KEYS) assert.match(text, new RegExp(`^${k.key}=`, 'm'))
})

test('a bad .env value fails the real command with one line and exit 2, before any action', async () => {
  const dir = tempDir()
  try {
    fs.writeFileSync(path.join(dir, '.env'), 'REGISTRY_PORT=abc\n')
    const r = await runScript('doctor', [], { env: { ...process.env, PLATFORM_ENV_FILE: path.join(dir, '.env'), PATH: `/nonexistent:${process.env.PATH}` } })
    assert.is(r.code, 2)
    const lines = r.stderr.trim().split('\n')
    assert.is(lines.length, 1, r.stderr)
    assert.match(lines[0]!, 'REGISTRY_PORT="abc" (from .env) is invalid')
    assert.not.match(r.stderr, /at .*\.mts:\d+/)
    assert.is(r.stdout, '')
  } finally {
    removeDir(dir)
  }
})

test.run()
