// status and doctor against a real engine: what they report follows what Docker really holds (a stopped registry,
// a stopped node), and doctor's docker row is the daemon's own version or the real CLI's own error.
import * as assert from 'uvu/assert'
import { dockerTier } from './tier.mts'

const tier = dockerTier('stat')

interface StatusJson { ok: boolean; registry?: { name: string; running: boolean; hostPort?: number; network?: string; attached?: boolean }; cluster: { reachable: boolean; nodes: string }; heal?: { nodes: { name: string; container: string; ready: string }[]; problems: string[] } }
interface DoctorJson { rows: { check: string; status: string; detail: string; fix?: string }[] }

tier.test('status follows the engine: registry port and nodes while running; a stopped registry and a stopped node make it exit 1', async () => {
  const w = await tier.world()
  const up = await w.up(['--only', 'ports,registry,cluster,wiring'])
  assert.is(up.code, 0, up.stderr)
  const first = await w.script('status', ['--json'])
  const s1 = JSON.parse(first.stdout) as StatusJson
  assert.equal(s1.registry, { name: w.names.registry, running: true, hostPort: w.ports.registry, network: w.names.network, attached: true })
  assert.equal(s1.heal?.problems, [])
  assert.equal(s1.cluster, { ...s1.cluster, reachable: true, nodes: '2/2' })

  assert.is(w.docker(['stop', w.names.registry, `${w.names.cluster}-worker`]).status, 0)
  const second = await w.script('status', ['--json'])
  assert.is(second.code, 1, second.stderr)
  const s2 = JSON.parse(second.stdout) as StatusJson
  assert.is(s2.ok, false)
  assert.is(s2.registry?.running, false)
  assert.is(s2.cluster.nodes, '1/2')
  assert.equal(s2.heal?.problems, [`stopped node container: ${w.names.cluster}-worker (exited)`])
  const human = await w.script('status')
  assert.match(human.stdout, `registry  ${w.names.registry}: not running, on the ${w.names.network} network`)
  assert.match(human.stdout, '`npx zx scripts/up.mts` heals this')
})

tier.test('doctor: the docker row is the real daemon\'s version; an engine that does not answer is the CLI\'s own error with a fix', async () => {
  const w = await tier.world()
  const version = w.docker(['version', '--format', '{{.Server.Version}}']).stdout.trim()
  const ok = await w.script('doctor', ['--json'])
  const row = (JSON.parse(ok.stdout) as DoctorJson).rows.find((r) => r.check === 'docker')!
  assert.equal({ status: row.status, detail: row.detail }, { status: 'ok', detail: `daemon ${version}` })

  const gone = await w.script('doctor', ['--json'], { DOCKER_HOST: `unix://${w.dir}/no-docker.sock` })
  assert.is(gone.code, 3, gone.stderr)
  assert.match(gone.stderr, 'doctor: not ready: docker')
  const bad = (JSON.parse(gone.stdout) as DoctorJson).rows.find((r) => r.check === 'docker')!
  assert.is(bad.status, 'fail')
  assert.match(bad.detail, `Cannot connect to the Docker daemon at unix://${w.dir}/no-docker.sock`)
  assert.match(bad.fix ?? '', 'start the Docker daemon')
})

tier.run()
