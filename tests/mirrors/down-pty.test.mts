// down at a real terminal with pull-through caches: kept by default (disconnected from the kind network so it can
// go with the cluster), preselected by --all and named in the final question.
import { spawnSync } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { KEY, runScriptInPty, type PtyResult } from '../helpers/pty.mts'
import { kindWorld, type World } from '../down/world.mts'

const SELECT = 'Select what to delete'
const CACHE = 'kind-registry-mirror-docker-io'
const show = (r: PtyResult) => `exit ${r.code}, failed step ${JSON.stringify(r.failedStep)}\n${r.output}`

function withCache(w: World): void {
  const docker = (args: string[]) => {
    const r = spawnSync('docker', args, { env: w.env, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`)
  }
  docker(['run', '-d', '--restart=always', '--name', CACHE, '--label', 'dev.platform.role=mirror', '--label', 'dev.platform.mirror-of=docker.io', '--network', 'bridge', '-p', '127.0.0.1::5000', '-v', `${CACHE}-data:/var/lib/registry`, '-e', 'REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io', 'registry:3.0.0'])
  docker(['network', 'connect', 'kind', CACHE])
}

test('defaults + Enter + yes: the cache is listed and kept with its volume, leaves the kind network, and the network goes with the cluster', async () => {
  const w = await kindWorld()
  try {
    withCache(w)
    const r = await runScriptInPty('down', [], { env: w.env, steps: [{ expect: SELECT, send: KEY.enter }, { expect: 'Delete kind cluster "platform"', send: 'y' }] })
    assert.is(r.code, 0, show(r))
    assert.match(r.output, 'pull-through caches (1)')
    const s = w.f.state().docker
    assert.ok(s.containers[CACHE], 'kept')
    assert.ok(s.volumes[`${CACHE}-data`], 'its data kept')
    assert.equal(Object.keys(s.containers[CACHE].NetworkSettings.Networks), ['bridge'])
    assert.not.ok('kind' in s.networks, 'the kind network went with the cluster')
  } finally {
    w.cleanup()
  }
})

test('--all preselects the caches; the final question says they go; cache and volume are deleted', async () => {
  const w = await kindWorld()
  try {
    withCache(w)
    const r = await runScriptInPty('down', ['--all'], { env: w.env, steps: [{ expect: SELECT, send: KEY.enter }, { expect: 'The pull-through caches go too: the next up downloads every image again', send: 'y' }] })
    assert.is(r.code, 0, show(r))
    const s = w.f.state().docker
    assert.is(s.containers[CACHE], undefined)
    assert.is(s.volumes[`${CACHE}-data`], undefined)
  } finally {
    w.cleanup()
  }
})

test.run()
