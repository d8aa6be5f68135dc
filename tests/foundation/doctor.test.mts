import net from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig, loadVersions } from '../../scripts/lib/shell/config.mts'
import { doctorFailed, evaluateDoctor, type Observations } from '../../scripts/lib/doctor/evaluate.mts'
import { fakeEnv } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { freePort } from '../../scripts/lib/shell/ports.mts'

const versions = loadVersions()
const base = (): Observations => ({
  platform: 'linux',
  docker: { reachable: true, serverVersion: '28.2.2', clientVersion: '28.2.2' },
  kind: 'v0.30.0', kubectl: 'v1.34.1', helm: 'v3.19.0', flux: 'v2.7.2',
  ports: [{ label: 'REGISTRY_PORT', port: 5001, state: 'free' }],
  inotify: { maxUserWatches: 524288, maxUserInstances: 512 },
  diskFreeBytes: 100 * 1024 ** 3, memoryBytes: 16 * 1024 ** 3,
})
const cfg = (env: NodeJS.ProcessEnv = {}) => loadConfig({ env, envFile: '/nonexistent' })

test('a complete machine passes', () => {
  const rows = evaluateDoctor(base(), cfg(), versions)
  assert.is(doctorFailed(rows), false)
  assert.ok(rows.every((r) => r.status === 'ok'), JSON.stringify(rows.filter((r) => r.status !== 'ok')))
})

test('kind too old for containerd 2.x registry wiring fails with an install hint', () => {
  const rows = evaluateDoctor({ ...base(), kind: 'v0.23.0' }, cfg(), versions)
  const kind = rows.find((r) => r.check === 'kind')!
  assert.is(kind.status, 'fail')
  assert.match(kind.detail, 'older than v0.27.0')
  assert.match(kind.fix ?? '', 'kind')
  assert.ok(doctorFailed(rows))
})

test('kind and docker are not required for an existing cluster; flux not for FLUX_MODE=none', () => {
  const o = { ...base(), kind: undefined, flux: undefined, docker: { reachable: false, error: 'no daemon' } }
  const rows = evaluateDoctor(o, cfg({ PLATFORM_PROVIDER: 'existing', KUBE_CONTEXT: 'prod', FLUX_MODE: 'none' }), versions)
  assert.is(doctorFailed(rows), false)
})

test('busy port: a warning under auto policy, a failure under strict; AirPlay named for 5000 on macOS', () => {
  const o = { ...base(), platform: 'darwin' as const, ports: [{ label: 'REGISTRY_PORT', port: 5000, state: 'busy' as const }] }
  const auto = evaluateDoctor(o, cfg({ REGISTRY_PORT: '5000' }), versions).find((r) => r.check === 'port 5000')!
  assert.is(auto.status, 'warn')
  assert.match(auto.detail, 'AirPlay')
  const strict = evaluateDoctor(o, cfg({ REGISTRY_PORT: '5000', PORT_POLICY: 'strict' }), versions)
  assert.ok(doctorFailed(strict))
})

test('low inotify limits and kubectl skew produce warnings with fixes', () => {
  const rows = evaluateDoctor({ ...base(), inotify: { maxUserWatches: 8192, maxUserInstances: 128 }, kubectl: 'v1.30.2' }, cfg(), versions)
  assert.match(rows.find((r) => r.check === 'inotify')!.fix ?? '', 'max_user_watches=524288')
  assert.is(rows.find((r) => r.check === 'kubectl skew')!.status, 'warn')
})

test('a kubectl 1.30 client fails doctor: outside the skew of the v1.34 node image, and without `debug --custom`', () => {
  assert.is(versions.kubectl.minimum, 'v1.33.0')
  const rows = evaluateDoctor({ ...base(), kubectl: 'v1.30.13' }, cfg(), versions)
  const kubectl = rows.find((r) => r.check === 'kubectl')!
  assert.is(kubectl.status, 'fail')
  assert.match(kubectl.detail, 'v1.30.13 is older than v1.33.0')
  assert.match(kubectl.detail, 'debug --custom')
  assert.match(kubectl.fix ?? '', `https://dl.k8s.io/release/${versions.kubectl.version}/bin/linux/amd64/kubectl`)
  assert.ok(doctorFailed(rows))
  assert.is(evaluateDoctor({ ...base(), kubectl: 'v1.33.1' }, cfg(), versions).find((r) => r.check === 'kubectl')!.status, 'ok')
})

test('doctor command with the (fake) kubectl reporting client v1.30: the kubectl row fails, exit 3', async () => {
  const f = fakeEnv({ kube: { clientVersion: 'v1.30.13', currentContext: '', contexts: {}, objects: {} } })
  try {
    const r = await runScript('doctor', ['--json'], { env: f.env })
    assert.is(r.code, 3, r.stderr)
    const row = JSON.parse(r.stdout).rows.find((x: { check: string }) => x.check === 'kubectl')
    assert.is(row.status, 'fail')
    assert.match(row.detail, 'v1.30.13 is older than v1.33.0')
  } finally {
    f.cleanup()
  }
})

test('doctor command: missing kind/helm/flux are reported clearly, exit 3, no stack trace', async () => {
  const f = fakeEnv()
  try {
    // hide the fakes for kind/helm/flux by pointing PATH at a bin dir with only docker and kubectl
    const fs = await import('node:fs')
    const path = await import('node:path')
    const bin = path.join(f.dir, 'bin')
    fs.mkdirSync(bin)
    for (const t of ['docker', 'kubectl']) fs.symlinkSync(path.join(process.cwd(), 'tests', 'fakes', 'bin', t), path.join(bin, t))
    const env = { ...f.env, PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin` }
    const r = await runScript('doctor', [], { env })
    assert.is(r.code, 3, r.stderr)
    for (const t of ['kind', 'helm', 'flux']) assert.match(r.stdout, new RegExp(`^${t}\\s+FAIL\\s+not found on PATH`, 'm'))
    assert.match(r.stdout, /^docker\s+ok/m)
    assert.match(r.stderr, 'not ready: kind, helm, flux')
    assert.not.match(r.stderr, /\n\s+at /)
  } finally {
    f.cleanup()
  }
})

test('a tool that hangs or errors is reported as not answering / failing, never as missing, with a fix that is not "install"', () => {
  const o = { ...base(), helm: undefined, flux: undefined, problems: { helm: 'did not answer within 10s', flux: 'failed: Error: unknown shorthand flag' }, docker: { reachable: false, hung: true, error: 'docker version did not answer within 15s' } }
  const rows = evaluateDoctor(o, cfg(), versions)
  const helm = rows.find((r) => r.check === 'helm')!
  assert.is(helm.status, 'fail')
  assert.is(helm.detail, 'did not answer within 10s')
  assert.is(helm.hung, true)
  assert.not.match(helm.fix ?? '', /install|curl|brew/)
  assert.is(rows.find((r) => r.check === 'flux')!.detail, 'failed: Error: unknown shorthand flag')
  const docker = rows.find((r) => r.check === 'docker')!
  assert.is(docker.detail, 'docker version did not answer within 15s')
  assert.match(docker.fix ?? '', 'not answering')
  assert.not.match(docker.fix ?? '', /apt-get install|docs\.docker\.com\/engine\/install/)
})

test('doctor command: hanging docker and kind read "did not answer within Ns", exit 6, never "not found on PATH"', async () => {
  const f = fakeEnv({ docker: { daemon: true, containers: {}, networks: {} } })
  try {
    f.inject({ tool: 'kind', match: ['version'], hang: true })
    f.inject({ tool: 'docker', match: ['version'], hang: true })
    const r = await runScript('doctor', [], { env: f.env, timeoutMs: 90_000 })
    assert.is(r.signal, null, 'doctor hung')
    assert.is(r.code, 6, r.stdout + r.stderr)
    assert.match(r.stdout, /^kind\s+FAIL\s+did not answer within 10s/m)
    assert.match(r.stdout, /^docker\s+FAIL\s+docker version did not answer within 15s/m)
    assert.not.match(r.stdout, /not found on PATH|install docker|apt-get install docker/)
    assert.match(r.stderr, 'not ready: docker (not answering), kind (not answering)')
  } finally {
    f.cleanup()
  }
})

test('doctor --json reports a busy port it really probed', async () => {
  const f = fakeEnv()
  const port = await freePort()
  const srv = net.createServer().listen(port, '127.0.0.1')
  try {
    const r = await runScript('doctor', ['--json'], { env: { ...f.env, REGISTRY_PORT: String(port), PORT_POLICY: 'strict' } })
    const out = JSON.parse(r.stdout)
    const row = out.rows.find((x: { check: string }) => x.check === `port ${port}`)
    assert.is(row.status, 'fail')
    assert.is(out.ok, false)
    assert.is(r.code, 3)
  } finally {
    srv.close()
    f.cleanup()
  }
})

test.run()
