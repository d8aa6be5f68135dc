// The docker adapter's failures carry the daemon's reason: a hanging `docker inspect` says it did not answer
// (exit 6), a failing one says why, never an empty message.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT, StepError } from '../../scripts/lib/shell/errors.mts'
import { createRunner } from '../../scripts/lib/shell/run.mts'
import { inspectContainers } from '../../scripts/lib/tools/docker.mts'
import { fakeEnv } from '../helpers/fakes.mts'

const failure = async (p: Promise<unknown>): Promise<StepError> => {
  try { await p } catch (e) { return e as StepError }
  throw new Error('expected a failure')
}

test('docker inspect that hangs: "did not answer: timed out after 30s", exit 6', async () => {
  const f = fakeEnv({ docker: { daemon: true, containers: {}, networks: {} } })
  try {
    f.inject({ tool: 'docker', match: ['inspect'], hang: true })
    const r = createRunner({ env: f.env, log: () => {} })
    const e = await failure(inspectContainers(r, ['kind-registry'], 'registry'))
    assert.is(e.exitCode, EXIT.timeout)
    assert.is(e.message, 'docker inspect did not answer: timed out after 30s')
    assert.match(e.hint ?? '', 'docker info')
  } finally {
    f.cleanup()
  }
})

test('docker inspect that fails: the daemon\'s reason', async () => {
  const f = fakeEnv({ docker: { daemon: true, containers: {}, networks: {} } })
  try {
    f.inject({ tool: 'docker', match: ['inspect'], exitCode: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n' })
    const r = createRunner({ env: f.env, log: () => {} })
    const e = await failure(inspectContainers(r, ['kind-registry'], 'registry'))
    assert.is(e.exitCode, EXIT.commandFailed)
    assert.is(e.message, 'docker inspect failed: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?')
  } finally {
    f.cleanup()
  }
})

test.run()
