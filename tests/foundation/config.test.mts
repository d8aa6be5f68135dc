import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { KEYS, loadConfig, loadVersions, parseDuration, renderEnvExample } from '../../scripts/lib/shell/config.mts'
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
