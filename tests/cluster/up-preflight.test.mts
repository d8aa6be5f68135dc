// preflight: doctor's required failures stop up before anything is created; its warnings come before the create.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { DoctorRow } from '../../scripts/lib/doctor/evaluate.mts'
import { preflightRows } from '../../scripts/lib/up/phases/preflight.mts'
import { mutatingLines, up, world } from './support.mts'

test('Docker daemon down: up stops in preflight with the missing-tool exit code and creates nothing', async () => {
  const w = await world({}, { docker: { daemon: false } })
  try {
    const r = await up(w)
    assert.is(r.code, 3, r.stderr)
    assert.match(r.stderr, 'preflight: not ready: docker (Cannot connect to the Docker daemon')
    assert.match(r.stderr, 'start the Docker daemon')
    assert.equal(mutatingLines(w.calls()), [])
  } finally {
    w.cleanup()
  }
})

test('doctor warnings are printed before the cluster is created', async () => {
  // kubectl v1.34 (fake) against a v1.31 node image: 3 minor versions of skew, a warning, not a failure
  const w = await world({ KIND_NODE_IMAGE: 'kindest/node:v1.31.12' })
  try {
    const r = await up(w)
    assert.is(r.code, 0, r.stderr)
    const warn = r.stderr.indexOf('kubectl skew: client v1.34.1 vs cluster v1.31.12')
    const create = r.stderr.indexOf('creating kind cluster "platform"')
    assert.ok(warn >= 0 && create > warn, r.stderr)
  } finally {
    w.cleanup()
  }
})

test('preflight leaves host ports to the ports phase, and docker/kind out for an existing cluster', () => {
  const row = (check: string): DoctorRow => ({ check, status: 'warn', detail: '', required: false })
  const rows = ['docker', 'kind', 'kind networkpolicy', 'kubectl', 'port 5001', 'inotify'].map(row)
  assert.equal(preflightRows(rows, 'kind').map((r) => r.check), ['docker', 'kind', 'kind networkpolicy', 'kubectl', 'inotify'])
  assert.equal(preflightRows(rows, 'existing').map((r) => r.check), ['kubectl', 'inotify'])
})

test.run()
