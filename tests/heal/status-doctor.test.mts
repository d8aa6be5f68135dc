// status shows stopped or unhealthy nodes and the registry's network attachment and says up heals them; doctor
// warns about restart policies that will not bring the platform back after a Docker restart (plain fakes).
import { spawnSync } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript } from '../helpers/proc.mts'
import { up, world, type World } from '../cluster/support.mts'

const docker = (w: World, args: string[]) => spawnSync('docker', args, { env: w.env, encoding: 'utf8' })

interface Row { check: string; status: string; detail: string; fix?: string }

test('status: every node and the registry\'s network while converged; a stopped worker and a detached registry are shown, exit 1, and up named as the fix', async () => {
  const w = await world()
  try {
    assert.is((await up(w)).code, 0)
    const fine = await runScript('status', ['--json'], { env: w.env })
    const m = JSON.parse(fine.stdout)
    assert.equal(m.registry, { name: 'kind-registry', running: true, hostPort: w.ports.registry, network: 'kind', attached: true })
    assert.equal(m.heal, {
      nodes: [
        { name: 'platform-control-plane', container: 'running', ready: 'True' },
        { name: 'platform-worker', container: 'running', ready: 'True' },
        { name: 'platform-worker2', container: 'running', ready: 'True' },
      ],
      problems: [],
    })
    const human = await runScript('status', [], { env: w.env })
    assert.match(human.stdout, 'nodes     platform-control-plane running, Ready=True; platform-worker running, Ready=True; platform-worker2 running, Ready=True')
    assert.match(human.stdout, `registry  kind-registry: running on 127.0.0.1:${w.ports.registry}, on the kind network`)

    assert.is(docker(w, ['stop', 'platform-worker']).status, 0)
    assert.is(docker(w, ['network', 'disconnect', 'kind', 'kind-registry']).status, 0)
    const bad = await runScript('status', [], { env: w.env })
    assert.is(bad.code, 1, bad.stderr)
    assert.match(bad.stdout, 'platform-worker exited, Ready=Unknown')
    assert.match(bad.stdout, `registry  kind-registry: running on 127.0.0.1:${w.ports.registry}, NOT on the kind network`)
    assert.match(bad.stdout, '⚠ stopped node container: platform-worker (exited)')
    assert.match(bad.stdout, '⚠ registry kind-registry is not on the kind network (nodes cannot pull from it)')
    assert.match(bad.stdout, '`npx zx scripts/up.mts` heals this')

    // a node whose container runs but which is not Ready is unhealthy too
    assert.is(docker(w, ['start', 'platform-worker']).status, 0)
    w.setState((s) => { (s.kube.stuck ??= []).push({ kind: 'Node', name: 'platform-worker2' }) })
    const json = JSON.parse((await runScript('status', ['--json'], { env: w.env })).stdout)
    assert.is(json.ok, false)
    assert.equal(json.heal.problems, ['node not Ready: platform-worker2 (Ready=False)', 'registry kind-registry is not on the kind network (nodes cannot pull from it)'])
  } finally {
    w.cleanup()
  }
})

test('status with the control plane stopped: the API server does not answer, the nodes come from Docker', async () => {
  const w = await world()
  try {
    assert.is((await up(w)).code, 0)
    assert.is(docker(w, ['stop', 'platform-control-plane', 'platform-worker', 'platform-worker2']).status, 0)
    const r = await runScript('status', ['--json'], { env: w.env })
    assert.is(r.code, 1)
    const m = JSON.parse(r.stdout)
    assert.is(m.cluster.reachable, false)
    assert.match(m.cluster.error, /The connection to the server 127\.0\.0\.1:\d+ was refused - did you specify the right host or port\?/)
    assert.equal(m.heal.problems, ['stopped node containers: platform-control-plane (exited), platform-worker (exited), platform-worker2 (exited)'])
  } finally {
    w.cleanup()
  }
})

test('doctor: the registry\'s restart always is fine; kind\'s on-failure:1 nodes are a warning with what to do; a registry set to no is a warning', async () => {
  const w = await world()
  try {
    const before = JSON.parse((await runScript('doctor', ['--json'], { env: w.env })).stdout) as { rows: Row[] }
    assert.not.ok(before.rows.some((r) => r.check.endsWith(' restart')), 'nothing to judge before up')
    assert.is((await up(w)).code, 0)
    const r = await runScript('doctor', ['--json'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    const rows = (JSON.parse(r.stdout) as { rows: Row[] }).rows
    assert.equal(rows.find((x) => x.check === 'registry restart'), { check: 'registry restart', status: 'ok', detail: 'kind-registry: --restart=always (Docker starts it again after a restart)', required: false } as Row)
    const nodes = rows.find((x) => x.check === 'node restart')!
    assert.is(nodes.status, 'warn')
    assert.match(nodes.detail, "3 of 3 node container(s) have --restart=on-failure:1 (kind's choice): Docker starts them again only if they exited with an error")
    assert.match(nodes.fix ?? '', 'run `npx zx scripts/up.mts` after a restart')
    assert.match(nodes.fix ?? '', 'docker update --restart=unless-stopped platform-control-plane platform-worker platform-worker2')

    w.setState((s) => { s.docker.containers['kind-registry'].HostConfig.RestartPolicy = { Name: 'no', MaximumRetryCount: 0 } })
    const human = await runScript('doctor', [], { env: w.env })
    assert.is(human.code, 0, 'warnings only')
    assert.match(human.stdout, 'kind-registry: --restart=no: Docker will not start it again after a Docker restart or reboot')
    assert.match(human.stdout, 'docker update --restart=always kind-registry')
  } finally {
    w.cleanup()
  }
})

test.run()
