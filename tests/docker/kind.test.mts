// The cluster and wiring phases of `up` on a real engine. kind is the fake, but it does to Docker what kind
// v0.30.0 does: the network, one labelled container per node, the config's port mappings; the registry joins
// the network and answers by name from a node; hosts.toml is written into every node by docker exec.
import crypto from 'node:crypto'
import { spawnSync } from 'node:child_process'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { dockerTier, type World } from './tier.mts'

const tier = dockerTier('kind')
const CLUSTER_LAYER = ['--only', 'ports,registry,cluster,wiring']

interface Inspect {
  Name: string
  Config: { Image: string; Labels: Record<string, string>; Hostname: string }
  State: { Running: boolean }
  HostConfig: { RestartPolicy: { Name: string; MaximumRetryCount: number }; PortBindings: Record<string, { HostIp: string; HostPort: string }[]>; Privileged: boolean }
  NetworkSettings: { Networks: Record<string, unknown> }
  Mounts: { Type: string; Name: string; Destination: string }[]
}

const inspectAll = (w: World, names: string[]): Inspect[] => JSON.parse(w.docker(['inspect', '--type', 'container', ...names]).stdout) as Inspect[]
const nodesOf = (w: World) => w.docker(['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${w.names.cluster}`, '--format', '{{.Names}}']).stdout.split('\n').filter(Boolean).sort()
const tool = (w: World, bin: string, args: string[]) => spawnSync(bin, args, { env: w.env, encoding: 'utf8' })

/**
 * Anonymous volumes no container uses that appeared after `since` (a leak: kind removes nodes with their volumes).
 * A node's volumes are anonymous (64 hex digits); named ones belong to other tests running at the same time on the
 * same engine (the pull-through caches' <name>-data volumes), whose own checks look after them.
 */
function danglingSince(w: World, since: number): string[] {
  const names = w.docker(['volume', 'ls', '-q', '--filter', 'dangling=true']).stdout.split('\n').filter((n) => /^[0-9a-f]{64}$/.test(n))
  if (!names.length) return []
  const vols = JSON.parse(w.docker(['volume', 'inspect', ...names]).stdout) as { Name: string; CreatedAt: string }[]
  return vols.filter((v) => Date.parse(v.CreatedAt) >= since).map((v) => v.Name)
}

/** kind's IPv6 ULA subnet for a network name (network.go generateULASubnetFromName, attempt 0). */
function ulaSubnet(name: string): string {
  const bs = crypto.createHash('sha1').update(name).update(Buffer.alloc(4)).digest()
  const words = [0xfc00, bs.readUInt16BE(2), bs.readUInt16BE(4), bs.readUInt16BE(6)]
  return `${words.map((x) => x.toString(16)).join(':')}::/64`
}

// the first two tests only look at one platform: it is made once
const platform = tier.shared({ workers: 2 }, async (w) => {
  const r = await w.up(CLUSTER_LAYER)
  assert.is(r.code, 0, r.stderr)
})

tier.test('up creates one labelled container per node on a kind-style network, publishing exactly the extraPortMappings and the API server', async () => {
  const w = await platform()
  const c = w.names.cluster
  const names = [`${c}-control-plane`, `${c}-worker`, `${c}-worker2`]
  assert.equal(nodesOf(w), names)
  const nodes = inspectAll(w, names)
  for (const n of nodes) {
    const name = n.Name.slice(1)
    assert.is(n.Config.Labels['io.x-k8s.kind.cluster'], c, name)
    assert.is(n.Config.Labels['io.x-k8s.kind.role'], name.endsWith('control-plane') ? 'control-plane' : 'worker')
    assert.is(n.Config.Hostname, name)
    assert.is(n.Config.Image, w.standIns.node.tag)
    assert.is(n.State.Running, true)
    assert.equal(n.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 1 })
    assert.is(n.HostConfig.Privileged, w.env.FAKE_KIND_PRIVILEGED !== '0')
    assert.equal(Object.keys(n.NetworkSettings.Networks), [w.names.network])
    assert.ok(n.Mounts.some((m) => m.Type === 'volume' && m.Destination === '/var'), `${name}: kind's anonymous /var volume`)
  }
  const [cp, ...workers] = nodes
  const b = cp!.HostConfig.PortBindings
  assert.equal(Object.keys(b).sort(), ['443/tcp', '6443/tcp', '80/tcp'])
  assert.equal(b['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(w.ports.http) }])
  assert.equal(b['443/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(w.ports.https) }])
  assert.is(b['6443/tcp']![0]!.HostIp, '127.0.0.1')
  for (const wk of workers) assert.equal(wk.HostConfig.PortBindings, {}, `${wk.Name}: no host ports`)

  const net = (JSON.parse(w.docker(['network', 'inspect', w.names.network]).stdout) as { Driver: string; EnableIPv6: boolean; Options: Record<string, string>; IPAM: { Config: { Subnet: string }[] } }[])[0]!
  assert.is(net.Driver, 'bridge')
  assert.is(net.Options['com.docker.network.bridge.enable_ip_masquerade'], 'true')
  const mtu = w.docker(['network', 'inspect', 'bridge', '-f', '{{ index .Options "com.docker.network.driver.mtu" }}']).stdout.trim()
  if (mtu && mtu !== '<no value>') assert.is(net.Options['com.docker.network.driver.mtu'], mtu)
  if (net.EnableIPv6) assert.ok(net.IPAM.Config.some((x) => x.Subnet === ulaSubnet(w.names.network)), JSON.stringify(net.IPAM))

  // kind reads its clusters back from the labels; the kube side knows the nodes and the API server's port
  assert.ok(tool(w, 'kind', ['get', 'clusters']).stdout.split('\n').includes(c))
  assert.equal(tool(w, 'kind', ['get', 'nodes', '--name', c]).stdout.split('\n').filter(Boolean), names)
  const kubeNodes = JSON.parse(tool(w, 'kubectl', ['--context', `kind-${c}`, 'get', 'nodes', '-o', 'json']).stdout) as { items: { metadata: { name: string } }[] }
  assert.equal(kubeNodes.items.map((n) => n.metadata.name).sort(), names)
  assert.is(w.state().kube.contexts[`kind-${c}`].server, `127.0.0.1:${b['6443/tcp']![0]!.HostPort}`)
})

tier.test('wiring: the registry joins the kind network, answers by name from a node (busybox wget), and hosts.toml is in every node', async () => {
  const w = await platform()
  const reg = w.names.registry
  const members = Object.keys((JSON.parse(w.docker(['inspect', '--type', 'container', reg]).stdout) as Inspect[])[0]!.NetworkSettings.Networks).sort()
  assert.equal(members, ['bridge', w.names.network].sort())
  const nodes = nodesOf(w)
  assert.is(nodes.length, 3)
  for (const node of nodes) {
    // busybox wget: no -T (it crashes busybox 1.35's wget); `timeout` bounds it instead
    const get = w.docker(['exec', node, 'timeout', '20', 'wget', '-q', '-O', '-', `http://${reg}:5000/v2/`])
    assert.is(get.status, 0, `${node}: ${get.stderr}`)
    assert.is(get.stdout.trim(), '{}')
    for (const host of [`localhost:${w.ports.registry}`, `${reg}:5000`]) {
      const f = w.docker(['exec', node, 'cat', `/etc/containerd/certs.d/${host}/hosts.toml`])
      assert.is(f.status, 0, `${node}: ${host}/hosts.toml: ${f.stderr}`)
      assert.is(f.stdout, `[host."http://${reg}:5000"]\n`)
    }
  }
  // converged: read back, nothing written again, nothing created
  w.clearCalls()
  const again = await w.up(CLUSTER_LAYER)
  assert.is(again.code, 0, again.stderr)
  const mutating = commandLines(w.calls('docker')).filter((l) => /^docker (run|start|rm|network (connect|create)|exec -i)\b/.test(l))
  assert.equal(mutating, [])
  assert.equal(commandLines(w.calls('kind')).filter((l) => /^kind (create|delete)/.test(l)), [])
})

tier.test('a host port taken after the check: kind fails with the daemon\'s reason, deletes its nodes and their volumes; up says why', async () => {
  const w = await tier.world()
  w.run('holder', ['-p', `127.0.0.1:${w.ports.http}:80`, w.standIns.node.tag])
  const since = Date.now() - 1000
  // without the ports phase up uses INGRESS_HTTP_PORT as configured, and kind meets the real error
  const r = await w.up(['--only', 'registry,cluster'])
  assert.is(r.code, 5, r.stderr)
  assert.ok(/port is already allocated|address already in use/.test(r.stderr), `the daemon's reason reaches the user:\n${r.stderr}`)
  assert.equal(nodesOf(w), [], 'kind deleted the nodes of the failed create')
  assert.equal(danglingSince(w, since), [], 'no node volume left behind (kind removes nodes with -v)')
})

tier.test('the ports phase meets the real holder: a busy gateway port is remapped and kind publishes the new one', async () => {
  const w = await tier.world()
  w.run('holder', ['-p', `127.0.0.1:${w.ports.http}:80`, w.standIns.node.tag])
  const r = await w.up(CLUSTER_LAYER)
  assert.is(r.code, 0, r.stderr)
  const cp = inspectAll(w, [`${w.names.cluster}-control-plane`])[0]!
  const http = Number(cp.HostConfig.PortBindings['80/tcp']![0]!.HostPort)
  assert.is.not(http, w.ports.http)
  assert.match(r.stderr, String(http))
})

tier.run()
