// PLATFORM_PROVIDER=existing: no kind, no docker, no registry; the context must exist and answer.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fakeEnv } from '../helpers/fakes.mts'
import { platformState, up } from './support.mts'

const contexts = (reachable: boolean) => ({
  kube: {
    currentContext: 'laptop',
    contexts: { staging: { server: 'staging.example:443', reachable }, laptop: { server: '127.0.0.1:6443' } },
    objects: {},
  },
})

test('existing provider: no kind or docker call at all; the context is verified and used', async () => {
  const f = fakeEnv(contexts(true), { PLATFORM_PROVIDER: 'existing', KUBE_CONTEXT: 'staging', FLUX_MODE: 'none' })
  try {
    const r = await up(f, ['--json'])
    assert.is(r.code, 0, r.stderr)
    assert.equal(f.calls('docker'), [])
    assert.equal(f.calls('kind'), [])
    const report = JSON.parse(r.stdout)
    const status = Object.fromEntries(report.phases.map((p: { id: string; status: string }) => [p.id, p.status]))
    assert.equal([status.preflight, status.ports, status.registry, status.cluster, status.wiring], ['ok', 'skipped', 'skipped', 'ok', 'skipped'])
    assert.match(report.phases.find((p: { id: string }) => p.id === 'cluster').note, 'using existing context staging')
    // every cluster call named the context explicitly; the user's current context is untouched
    const clusterCalls = f.calls('kubectl').filter((c) => !c.argv.includes('--client') && c.argv[0] !== 'config')
    assert.ok(clusterCalls.length > 0 && clusterCalls.every((c) => c.argv.includes('--context') && c.argv.includes('staging')))
    assert.is(f.state().kube.currentContext, 'laptop')
    // recorded as not ours: down must never delete it
    assert.equal(platformState(f).cluster, { name: 'staging', context: 'staging', createdByUs: false })
    assert.is(platformState(f).registry, undefined)
  } finally {
    f.cleanup()
  }
})

test('existing provider, unreachable context: fails naming the context, exit 4, no stack trace', async () => {
  const f = fakeEnv(contexts(false), { PLATFORM_PROVIDER: 'existing', KUBE_CONTEXT: 'staging', FLUX_MODE: 'none' })
  try {
    const r = await up(f)
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, 'kube context "staging" is not reachable')
    assert.match(r.stderr, 'kubectl --context staging cluster-info')
    assert.not.match(r.stderr, /\n\s+at /)
    assert.equal(f.calls('docker'), [])
    assert.equal(f.calls('kind'), [])
  } finally {
    f.cleanup()
  }
})

test('existing provider, unknown context: fails naming it and the contexts that exist', async () => {
  const f = fakeEnv(contexts(true), { PLATFORM_PROVIDER: 'existing', KUBE_CONTEXT: 'prod', FLUX_MODE: 'none' })
  try {
    const r = await up(f)
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, 'kube context "prod" (KUBE_CONTEXT) does not exist')
    assert.match(r.stderr, 'one of: staging, laptop')
  } finally {
    f.cleanup()
  }
})

test.run()
