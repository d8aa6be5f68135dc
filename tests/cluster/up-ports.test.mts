// Busy host ports, held by real sockets: auto remaps consistently and remembers; strict creates nothing.
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { commandLines } from '../helpers/fakes.mts'
import { isMutating, nodeFile, platformState, up, world } from './support.mts'

function hold(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(s))
  })
}
const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()))

test('busy registry and HTTP ports: remapped, used consistently everywhere, remembered after the blocker is gone', async () => {
  const w = await world()
  const blockers = [await hold(w.ports.registry), await hold(w.ports.http)]
  try {
    const r = await up(w)
    assert.is(r.code, 0, r.stderr)
    const reg = platformState(w).ports.registry as number
    const http = platformState(w).ports.http as number
    assert.ok(reg > w.ports.registry && reg <= w.ports.registry + 100, `registry port ${reg}`)
    assert.ok(http > w.ports.http, `http port ${http}`)
    assert.match(r.stderr, `REGISTRY_PORT ${w.ports.registry} is busy on 127.0.0.1; using ${reg} instead`)
    assert.match(r.stderr, `INGRESS_HTTP_PORT ${w.ports.http} is busy on 127.0.0.1; using ${http} instead`)

    // the registry container publishes the chosen port (the fake daemon would fail on the held one)
    const run = commandLines(w.calls('docker')).find((l) => l.startsWith('docker run'))!
    assert.match(run, `-p 127.0.0.1:${reg}:5000`)
    // the cluster maps the chosen gateway port
    const cp = w.state().docker.containers['platform-control-plane']
    assert.equal(cp.HostConfig.PortBindings['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(http) }])
    assert.equal(cp.HostConfig.PortBindings['443/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(w.ports.https) }])
    // every node's containerd knows localhost:<chosen> and kind-registry:5000
    for (const node of ['platform-control-plane', 'platform-worker', 'platform-worker2']) {
      assert.is(nodeFile(w, node, `/etc/containerd/certs.d/localhost:${reg}/hosts.toml`), '[host."http://kind-registry:5000"]\n', node)
      assert.is(nodeFile(w, node, '/etc/containerd/certs.d/kind-registry:5000/hosts.toml'), '[host."http://kind-registry:5000"]\n', node)
      assert.is(nodeFile(w, node, `/etc/containerd/certs.d/localhost:${w.ports.registry}/hosts.toml`), undefined)
    }
    // the KEP-1755 ConfigMap names the same port
    const cm = w.state().kube.objects['kind-platform'].find((o: any) => o.kind === 'ConfigMap' && o.metadata.name === 'local-registry-hosting')
    assert.is(YAML.parse(cm.data['localRegistryHosting.v1']).host, `localhost:${reg}`)
    // the effective kind config kept in local state has it too
    const eff = YAML.parse(fs.readFileSync(path.join(w.env.STATE_DIR!, 'kind-config.yaml'), 'utf8'))
    assert.is(eff.nodes[0].extraPortMappings[0].hostPort, http)

    // blockers gone: the remembered ports stay (our registry holds its port; the cluster mapping is fixed)
    await Promise.all(blockers.map(close))
    blockers.length = 0
    w.clearCalls()
    const again = await up(w)
    assert.is(again.code, 0, again.stderr)
    assert.match(again.stderr, `REGISTRY_PORT ${w.ports.registry}: reusing ${reg}`)
    assert.equal(commandLines(w.calls().filter(isMutating)), [])
    assert.is(platformState(w).ports.registry, reg)
    assert.is(platformState(w).ports.http, http)
  } finally {
    await Promise.all(blockers.map(close))
    w.cleanup()
  }
})

test('strict policy: a busy port fails before anything is created, naming the key and the port', async () => {
  const w = await world({ PORT_POLICY: 'strict' })
  const blocker = await hold(w.ports.https)
  try {
    const r = await up(w)
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, `INGRESS_HTTPS_PORT ${w.ports.https} is busy on 127.0.0.1 (PORT_POLICY=strict)`)
    assert.not.match(r.stderr, /\n\s+at /)
    assert.equal(commandLines(w.calls().filter(isMutating)), [])
    assert.is(Object.keys(w.state().docker?.containers ?? {}).length, 0)
  } finally {
    await close(blocker)
    w.cleanup()
  }
})

test.run()
