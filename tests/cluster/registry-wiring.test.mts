// Registry decisions, containerd hosts.toml, the KEP-1755 ConfigMap, cluster diffs and docker inspect parsing.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { diffCluster } from '../../scripts/lib/cluster/diff.mts'
import { decideRegistry, hostsToml, hostsTomlPath, registryHosts, registryHostingManifest, registryHostingMatches, registryRunArgs } from '../../scripts/lib/cluster/registry-wiring.mts'
import { parseContainerInspect } from '../../scripts/lib/tools/docker.mts'

const wanted = { name: 'kind-registry', image: 'registry:3.0.0', port: 5001 }
const ours = { 'dev.platform.role': 'registry' }
const observed = { name: 'kind-registry', image: 'registry:3.0.0', running: true, labels: ours, hostPort: 5001, hostIp: '127.0.0.1' }

test('registry decisions: create, reuse, start, recreate (port, image), clash', () => {
  assert.equal(decideRegistry(undefined, wanted), { action: 'create' })
  assert.equal(decideRegistry(observed, wanted), { action: 'reuse' })
  assert.equal(decideRegistry({ ...observed, running: false }, wanted), { action: 'start' })
  const port = decideRegistry({ ...observed, running: false }, { ...wanted, port: 5002 })
  assert.is(port.action, 'recreate')
  assert.match((port as { reasons: string[] }).reasons[0]!, '127.0.0.1:5001 -> 127.0.0.1:5002')
  const image = decideRegistry(observed, { ...wanted, image: 'registry:3.0.1' })
  assert.match((image as { reasons: string[] }).reasons.join(), 'image registry:3.0.0 -> registry:3.0.1')
  assert.is(decideRegistry({ ...observed, image: 'docker.io/library/registry:3.0.0' }, wanted).action, 'reuse')
  assert.is(decideRegistry({ ...observed, hostIp: '0.0.0.0' }, wanted).action, 'recreate')
  const clash = decideRegistry({ ...observed, labels: {} }, wanted)
  assert.is(clash.action, 'clash')
  assert.match((clash as { reason: string }).reason, 'not created by up')
})

test('docker run arguments: 127.0.0.1 only, restart always, our label, bridge network, pinned image last', () => {
  const args = registryRunArgs(wanted)
  assert.ok(args.includes('--restart=always'))
  assert.equal(args.slice(args.indexOf('-p'), args.indexOf('-p') + 2), ['-p', '127.0.0.1:5001:5000'])
  assert.equal(args.slice(args.indexOf('--label'), args.indexOf('--label') + 2), ['--label', 'dev.platform.role=registry'])
  assert.equal(args.slice(args.indexOf('--network'), args.indexOf('--network') + 2), ['--network', 'bridge'])
  assert.is(args.at(-1), 'registry:3.0.0')
})

test('containerd hosts.toml for localhost:<port> and <name>:5000, plain http to the registry', () => {
  assert.equal(registryHosts('kind-registry', 5002), ['localhost:5002', 'kind-registry:5000'])
  assert.is(hostsTomlPath('localhost:5002'), '/etc/containerd/certs.d/localhost:5002/hosts.toml')
  assert.is(hostsToml('kind-registry'), '[host."http://kind-registry:5000"]\n')
})

test('KEP-1755 ConfigMap: host, hostFromContainerRuntime, hostFromClusterNetwork, help; comparison with the live one', () => {
  const cm = YAML.parse(registryHostingManifest('kind-registry', 5002))
  assert.equal(cm.metadata, { name: 'local-registry-hosting', namespace: 'kube-public' })
  const v = YAML.parse(cm.data['localRegistryHosting.v1'])
  assert.equal(v, { host: 'localhost:5002', hostFromContainerRuntime: 'kind-registry:5000', hostFromClusterNetwork: 'kind-registry:5000', help: 'https://kind.sigs.k8s.io/docs/user/local-registry/' })
  assert.ok(registryHostingMatches(cm, 'kind-registry', 5002))
  assert.not.ok(registryHostingMatches(cm, 'kind-registry', 5001))
  assert.not.ok(registryHostingMatches(undefined, 'kind-registry', 5002))
  // kind's own script publishes host + help only: ours must replace it
  assert.not.ok(registryHostingMatches({ data: { 'localRegistryHosting.v1': 'host: "localhost:5002"\nhelp: "x"\n' } }, 'kind-registry', 5002))
})

const node = (name: string, role: string, image = 'kindest/node:v1.34.0@sha256:a') => ({ name, image, running: true, labels: { 'io.x-k8s.kind.role': role, 'io.x-k8s.kind.cluster': 'p' } })
const cw = { workers: 2, nodeImage: 'kindest/node:v1.34.0@sha256:a', currentHash: 'h1', portDrift: [] as string[] }

test('cluster diff: workers, node image, port drift; config hash only when nothing else differs', () => {
  const nodes = [node('p-control-plane', 'control-plane'), node('p-worker', 'worker'), node('p-worker2', 'worker')]
  assert.equal(diffCluster(nodes, cw), [])
  assert.match(diffCluster(nodes, { ...cw, workers: 3 }).join(), 'workers: the cluster has 2, WORKERS wants 3')
  assert.match(diffCluster([...nodes.slice(0, 2), node('p-worker2', 'worker', 'kindest/node:v1.33.1')], cw).join(), 'node image: p-worker2 runs kindest/node:v1.33.1')
  assert.equal(diffCluster(nodes, { ...cw, portDrift: ['gateway HTTP host port: ...'] }), ['gateway HTTP host port: ...'])
  assert.match(diffCluster(nodes, { ...cw, recordedHash: 'h0' }).join(), 'cluster/kind.yaml changed')
  assert.equal(diffCluster(nodes, { ...cw, workers: 3, recordedHash: 'h0' }).length, 1)
})

test('docker inspect parsing: name, image, state (exit code, error), labels, port bindings (kept while stopped), restart policy, networks, mounts', () => {
  const out = JSON.stringify([{
    Id: 'abc', Name: '/kind-registry', State: { Status: 'exited', Running: false, ExitCode: 128, Error: 'driver failed programming external connectivity' },
    Config: { Image: 'registry:3.0.0', Labels: ours },
    HostConfig: { PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '5001' }] }, RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } },
    NetworkSettings: { Ports: {}, Networks: { bridge: {}, kind: {} } },
    Mounts: [{ Type: 'volume', Name: 'f00d', Source: '/var/lib/docker/volumes/f00d/_data', Destination: '/var/lib/registry' }],
  }, { Name: 'kind', Id: 'net', Driver: 'bridge' }])
  assert.equal(parseContainerInspect(out), [{
    id: 'abc', name: 'kind-registry', image: 'registry:3.0.0', running: false, status: 'exited', labels: ours,
    ports: [{ containerPort: 5000, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 5001 }], networks: ['bridge', 'kind'],
    mounts: [{ type: 'volume', name: 'f00d', source: '/var/lib/docker/volumes/f00d/_data', destination: '/var/lib/registry' }],
    exitCode: 128, error: 'driver failed programming external connectivity', restartPolicy: 'always',
    livePorts: [], env: [],
  }])
  // kind's nodes: on-failure with one retry; no policy at all reads as docker's default, no
  assert.is(parseContainerInspect(JSON.stringify([{ Name: '/n', State: {}, Config: {}, HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1 } } }]))[0]!.restartPolicy, 'on-failure:1')
  assert.is(parseContainerInspect(JSON.stringify([{ Name: '/n', State: {}, Config: {} }]))[0]!.restartPolicy, 'no')
  assert.equal(parseContainerInspect('[]'), [])
  assert.equal(parseContainerInspect('not json'), [])
})

test.run()
