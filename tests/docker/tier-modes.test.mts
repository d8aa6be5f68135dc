// Without an engine the tier's tests are skipped by name (and the runner lists them), unless the run requires
// the engine (CI, PLATFORM_TEST_DOCKER=required): then they fail saying why. Needs no engine itself.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { REPO } from '../helpers/fakes.mts'

const FIXTURE = path.join(REPO, 'tests', 'docker', 'fixtures', 'two-tests.mts')
const NO_ENGINE = 'unix:///nonexistent/docker.sock'

/** This process runs inside a tier run: its children must decide for themselves. */
function env(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: NO_ENGINE, ...extra }
  for (const k of ['CI', 'PLATFORM_TEST_DOCKER', 'PLATFORM_TEST_RUN', 'PLATFORM_TEST_DOCKER_UNAVAILABLE', 'PLATFORM_TEST_DOCKER_PRIVILEGED']) if (!(k in extra)) delete e[k]
  return e
}
const run = (file: string, extra: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [file], { cwd: REPO, env: env(extra), encoding: 'utf8', timeout: 60_000 })

test('no engine: every tier test is skipped by name with the reason, and the file passes', () => {
  const r = run(FIXTURE)
  assert.is(r.status, 0, r.stdout + r.stderr)
  const reason = `no Docker engine answers: Cannot connect to the Docker daemon at ${NO_ENGINE}. Is the docker daemon running?`
  assert.ok(r.stdout.includes(`[skipped] tests/docker/fixtures/two-tests.mts › first needs the engine: ${reason}`), r.stdout)
  assert.ok(r.stdout.includes(`[skipped] tests/docker/fixtures/two-tests.mts › second needs the engine: ${reason}`), r.stdout)
  assert.match(r.stdout, /Skipped:\s+2/)
})

test('no engine but required (CI, or PLATFORM_TEST_DOCKER=required): every tier test fails saying why', () => {
  for (const extra of [{ CI: 'true' }, { PLATFORM_TEST_DOCKER: 'required' }]) {
    const r = run(FIXTURE, extra)
    assert.is(r.status, 1, JSON.stringify(extra))
    assert.match(r.stdout, 'the Docker tier is required here (CI or PLATFORM_TEST_DOCKER=required) but no Docker engine answers')
    assert.match(r.stdout, /Passed:\s+0/)
    assert.not.match(r.stdout, '[skipped]')
  }
})

test('a misspelt PLATFORM_TEST_DOCKER fails the tier naming the variable and what is allowed', () => {
  const r = run(FIXTURE, { PLATFORM_TEST_DOCKER: 'sometimes' })
  assert.is(r.status, 1)
  assert.match(r.stdout, 'PLATFORM_TEST_DOCKER=sometimes is not valid (auto | required)')
})

test('the test runner lists the skipped tests by name at the end', () => {
  const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'test-runner.mjs'), '--no-typecheck', 'tests/docker/status.test'], { cwd: REPO, env: env({}), encoding: 'utf8', timeout: 120_000 })
  assert.is(r.status, 0, r.stdout)
  assert.match(r.stdout, /Skipped \(2\):\n {2}- tests\/docker\/status\.test\.mts › status follows the engine/)
  assert.match(r.stdout, /\n0 passed, 0 failed, 2 skipped\n$|\n1 passed, 0 failed, 2 skipped\n$/)
})

test.run()
