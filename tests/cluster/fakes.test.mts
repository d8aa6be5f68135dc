// The fake docker and kind behave like the real CLIs where the scripts (up, down) depend on them.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fakeEnv } from '../helpers/fakes.mts'
import { freePort } from '../../scripts/lib/shell/ports.mts'

const sh = (env: NodeJS.ProcessEnv, tool: string, args: string[], input?: string) => spawnSync(tool, args, { env, input, encoding: 'utf8' })

test('docker run / inspect / ps / rm: real messages and exit codes', async () => {
  const f = fakeEnv()
  try {
    const port = await freePort()
    let r = sh(f.env, 'docker', ['inspect', 'kind-registry'])
    assert.is(r.status, 1)
    assert.is(r.stdout.trim(), '[]')
    assert.is(r.stderr.trim(), 'Error: No such object: kind-registry')
    r = sh(f.env, 'docker', ['run', '-d', '--restart=always', '-p', `127.0.0.1:${port}:5000`, '--network', 'bridge', '--name', 'kind-registry', '--label', 'dev.platform.role=registry', 'registry:3.0.0'])
    assert.is(r.status, 0, r.stderr)
    assert.match(r.stdout, /^[0-9a-f]{64}\n$/)
    r = sh(f.env, 'docker', ['run', '-d', '--name', 'kind-registry', 'registry:3.0.0'])
    assert.is(r.status, 125)
    assert.match(r.stderr, 'docker: Error response from daemon: Conflict. The container name "/kind-registry" is already in use by container')
    r = sh(f.env, 'docker', ['run', '-d', '--name', 'other', '-p', `127.0.0.1:${port}:5000`, 'registry:3.0.0'])
    assert.is(r.status, 125)
    assert.match(r.stderr, `Bind for 127.0.0.1:${port} failed: port is already allocated`)
    // like dockerd, the failed container is left behind in "created" state
    assert.is(JSON.parse(sh(f.env, 'docker', ['inspect', 'other']).stdout)[0].State.Status, 'created')
    const info = JSON.parse(sh(f.env, 'docker', ['inspect', '--type', 'container', 'kind-registry']).stdout)[0]
    assert.equal(info.HostConfig.PortBindings, { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] })
    assert.equal(info.Config.Labels, { 'dev.platform.role': 'registry' })
    assert.equal(Object.keys(info.NetworkSettings.Networks), ['bridge'])
    r = sh(f.env, 'docker', ['ps', '-a', '--filter', 'label=dev.platform.role=registry', '--format', '{{json .}}'])
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
    assert.equal(rows.map((x) => [x.Names, x.State, x.Ports]), [['kind-registry', 'running', `127.0.0.1:${port}->5000/tcp`]])
    r = sh(f.env, 'docker', ['ps', '-a', '--filter', 'name=^/kind-registry$', '--format', '{{.Names}}'])
    assert.is(r.stdout, 'kind-registry\n')
    r = sh(f.env, 'docker', ['rm', 'kind-registry'])
    assert.is(r.status, 1)
    assert.match(r.stderr, 'container is running: stop the container before removing or force remove')
    assert.is(sh(f.env, 'docker', ['rm', '-f', 'kind-registry', 'other']).status, 0)
    r = sh(f.env, 'docker', ['rm', '-f', 'kind-registry'])
    assert.is(r.status, 0, 'docker >= 20.10: rm -f of a missing container succeeds')
    assert.is(sh(f.env, 'docker', ['rm', 'kind-registry']).status, 1)
  } finally {
    f.cleanup()
  }
})

test('docker volumes: the registry image\'s VOLUME becomes an anonymous volume; rm -v removes it, rm leaves it; docker volume ls/rm/inspect', () => {
  const f = fakeEnv()
  try {
    assert.is(sh(f.env, 'docker', ['run', '-d', '--name', 'reg', 'registry:3.0.0']).status, 0)
    const mounts = JSON.parse(sh(f.env, 'docker', ['inspect', '--type', 'container', 'reg']).stdout)[0].Mounts
    assert.is(mounts.length, 1)
    const vol = mounts[0].Name as string
    assert.match(vol, /^[0-9a-f]{64}$/)
    assert.equal(mounts[0], { Type: 'volume', Name: vol, Source: `/var/lib/docker/volumes/${vol}/_data`, Destination: '/var/lib/registry', Driver: 'local', Mode: '', RW: true, Propagation: '' })
    assert.is(sh(f.env, 'docker', ['volume', 'ls']).stdout, `DRIVER    VOLUME NAME\nlocal     ${vol}\n`)
    const row = JSON.parse(sh(f.env, 'docker', ['volume', 'ls', '--filter', `name=${vol}`, '--format', '{{json .}}']).stdout)
    assert.equal([row.Name, row.Driver, row.Mountpoint, row.Scope], [vol, 'local', `/var/lib/docker/volumes/${vol}/_data`, 'local'])
    let r = sh(f.env, 'docker', ['volume', 'rm', vol])
    assert.is(r.status, 1)
    assert.match(r.stderr, new RegExp(`^Error response from daemon: remove ${vol}: volume is in use - \\[[0-9a-f]{64}\\]\\n$`))
    // plain rm leaves the anonymous volume behind (dangling); rm -v takes it along
    assert.is(sh(f.env, 'docker', ['rm', '-f', 'reg']).status, 0)
    assert.is(sh(f.env, 'docker', ['volume', 'ls', '-q', '--filter', 'dangling=true']).stdout, `${vol}\n`)
    assert.is(sh(f.env, 'docker', ['volume', 'rm', vol]).stdout, `${vol}\n`)
    r = sh(f.env, 'docker', ['volume', 'rm', vol])
    assert.equal([r.status, r.stderr], [1, `Error response from daemon: get ${vol}: no such volume\n`])
    r = sh(f.env, 'docker', ['volume', 'inspect', vol])
    assert.equal([r.status, r.stdout.trim(), r.stderr], [1, '[]', `Error response from daemon: get ${vol}: no such volume\n`])
    sh(f.env, 'docker', ['run', '-d', '--name', 'reg', 'registry:3.0.0'])
    assert.is(sh(f.env, 'docker', ['rm', '-f', '-v', 'reg']).status, 0)
    assert.is(sh(f.env, 'docker', ['volume', 'ls', '-q']).stdout, '', 'rm -v removed the anonymous volume')
    // a named volume for the same path: no anonymous one, and rm -v keeps the named volume
    sh(f.env, 'docker', ['run', '-d', '--name', 'reg', '-v', 'registry-cache:/var/lib/registry', 'registry:3.0.0'])
    assert.equal(JSON.parse(sh(f.env, 'docker', ['inspect', 'reg']).stdout)[0].Mounts.map((m: { Name: string }) => m.Name), ['registry-cache'])
    sh(f.env, 'docker', ['rm', '-f', '-v', 'reg'])
    assert.is(sh(f.env, 'docker', ['volume', 'ls', '-q']).stdout, 'registry-cache\n')
    // images without a VOLUME get no mounts
    sh(f.env, 'docker', ['run', '-d', '--name', 'plain', 'busybox:1.36'])
    assert.equal(JSON.parse(sh(f.env, 'docker', ['inspect', 'plain']).stdout)[0].Mounts, [])
  } finally {
    f.cleanup()
  }
})

test('docker run fails like the userland proxy when a real process holds the port', async () => {
  const f = fakeEnv()
  const port = await freePort()
  const srv = net.createServer()
  await new Promise<void>((r) => srv.listen({ port, host: '127.0.0.1' }, () => r()))
  try {
    const r = sh(f.env, 'docker', ['run', '-d', '--name', 'reg', '-p', `127.0.0.1:${port}:5000`, 'registry:3.0.0'])
    assert.is(r.status, 125)
    assert.match(r.stderr, `listen tcp4 127.0.0.1:${port}: bind: address already in use`)
  } finally {
    srv.close()
    f.cleanup()
  }
})

test('docker network connect / inspect / rm and exec file round-trip', () => {
  const f = fakeEnv()
  try {
    assert.is(sh(f.env, 'docker', ['run', '-d', '--name', 'reg', 'registry:3.0.0']).status, 0)
    let r = sh(f.env, 'docker', ['network', 'connect', 'kind', 'reg'])
    assert.is(r.stderr.trim(), 'Error response from daemon: network kind not found')
    assert.is(sh(f.env, 'docker', ['network', 'create', 'kind']).status, 0)
    assert.is(sh(f.env, 'docker', ['network', 'connect', 'kind', 'reg']).status, 0)
    r = sh(f.env, 'docker', ['network', 'connect', 'kind', 'reg'])
    assert.is(r.status, 1)
    assert.match(r.stderr, 'endpoint with name reg already exists in network kind')
    const netInfo = JSON.parse(sh(f.env, 'docker', ['network', 'inspect', 'kind']).stdout)[0]
    assert.equal(Object.values(netInfo.Containers).map((c: any) => c.Name), ['reg'])
    r = sh(f.env, 'docker', ['network', 'rm', 'kind'])
    assert.match(r.stderr, 'has active endpoints')
    r = sh(f.env, 'docker', ['exec', 'reg', 'cat', '/etc/x/hosts.toml'])
    assert.is(r.status, 1)
    assert.match(r.stderr, 'No such file or directory')
    r = sh(f.env, 'docker', ['exec', '-i', 'reg', 'sh', '-c', "mkdir -p '/etc/x' '/etc/y' && cat > '/etc/x/hosts.toml' && cp '/etc/x/hosts.toml' '/etc/y/hosts.toml'"], 'content\n')
    assert.is(r.status, 0, r.stderr)
    assert.is(sh(f.env, 'docker', ['exec', 'reg', 'cat', '/etc/x/hosts.toml', '/etc/y/hosts.toml']).stdout, 'content\ncontent\n')
    r = sh(f.env, 'docker', ['exec', '-i', 'reg', 'sh', '-c', 'cat > /nope/file'], 'x')
    assert.match(r.stderr, 'Directory nonexistent')
    assert.is(sh(f.env, 'docker', ['stop', 'reg']).status, 0)
    assert.match(sh(f.env, 'docker', ['exec', 'reg', 'cat', '/etc/x/hosts.toml']).stderr, 'is not running')
  } finally {
    f.cleanup()
  }
})

test('kind: get clusters/nodes, create (nodes, mappings, context), export, delete (also of a missing cluster)', async () => {
  // a port nothing on this machine holds (a fixed one may be held by another suite running beside this one)
  const hostPort = await freePort()
  const f = fakeEnv()
  try {
    let r = sh(f.env, 'kind', ['get', 'clusters'])
    assert.is(r.status, 0)
    assert.is(r.stdout, '')
    assert.is(r.stderr, 'No kind clusters found.\n')
    const cfg = `${f.dir}/kind.yaml`
    fs.writeFileSync(cfg, `kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  labels: {ingress-ready: "true"}\n  extraPortMappings:\n  - {containerPort: 80, hostPort: ${hostPort}, listenAddress: 127.0.0.1}\n- role: worker\n  labels: {node-role.platform.dev/app: "true"}\n- role: worker\n`)
    r = sh(f.env, 'kind', ['create', 'cluster', '--name', 'dev', '--config', cfg, '--wait', '300s'])
    assert.is(r.status, 0, r.stderr)
    assert.match(r.stderr, 'Creating cluster "dev" ...')
    assert.match(r.stderr, ' ✓ Joining worker nodes 🚜')
    assert.match(r.stderr, 'Waiting ≤ 5m0s for control-plane = Ready')
    assert.match(r.stderr, 'Set kubectl context to "kind-dev"')
    assert.is(sh(f.env, 'kind', ['get', 'clusters']).stdout, 'dev\n')
    assert.is(sh(f.env, 'kind', ['get', 'nodes', '--name', 'dev']).stdout, 'dev-control-plane\ndev-worker\ndev-worker2\n')
    r = sh(f.env, 'kind', ['create', 'cluster', '--name', 'dev'])
    assert.match(r.stderr, 'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "dev"')
    const cp = JSON.parse(sh(f.env, 'docker', ['inspect', 'dev-control-plane']).stdout)[0]
    assert.equal(cp.HostConfig.PortBindings['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }])
    assert.is(cp.Config.Labels['io.x-k8s.kind.role'], 'control-plane')
    r = sh(f.env, 'kubectl', ['--context', 'kind-dev', 'get', 'nodes', '-l', 'node-role.platform.dev/app=true', '-o', 'name'])
    assert.is(r.stdout, 'node/dev-worker\n')
    assert.is(sh(f.env, 'kubectl', ['config', 'delete-context', 'kind-dev']).status, 0)
    r = sh(f.env, 'kind', ['export', 'kubeconfig', '--name', 'dev'])
    assert.is(r.stderr, 'Set kubectl context to "kind-dev"\n')
    assert.match(sh(f.env, 'kind', ['export', 'logs', '--name', 'dev']).stderr, 'Exporting logs for cluster "dev" to:')
    r = sh(f.env, 'kind', ['delete', 'cluster', '--name', 'dev'])
    assert.is(r.status, 0)
    assert.match(r.stderr, 'Deleting cluster "dev" ...\nDeleted nodes: ["dev-control-plane" "dev-worker" "dev-worker2"]')
    assert.is(sh(f.env, 'kind', ['get', 'nodes', '--name', 'dev']).stderr, 'No kind nodes found for cluster "dev".\n')
    assert.is(sh(f.env, 'kubectl', ['config', 'get-contexts', '-o', 'name']).stdout, '')
    r = sh(f.env, 'kind', ['delete', 'cluster', '--name', 'dev'])
    assert.is(r.status, 0)
    assert.is(r.stderr, 'Deleting cluster "dev" ...\n')
    r = sh(f.env, 'kind', ['export', 'kubeconfig', '--name', 'dev'])
    assert.is(r.status, 1)
    assert.match(r.stderr, "could not locate any control plane nodes for cluster named 'dev'")
  } finally {
    f.cleanup()
  }
})

test('kind create with a taken host port fails like kind and leaves no nodes', async () => {
  const f = fakeEnv()
  try {
    const port = await freePort()
    assert.is(sh(f.env, 'docker', ['run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:80`, 'nginx']).status, 0)
    const cfg = `${f.dir}/kind.yaml`
    fs.writeFileSync(cfg, `kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  extraPortMappings:\n  - {containerPort: 80, hostPort: ${port}, listenAddress: 127.0.0.1}\n`)
    const r = sh(f.env, 'kind', ['create', 'cluster', '--name', 'dev', '--config', cfg])
    assert.is(r.status, 1)
    assert.match(r.stderr, ' ✗ Preparing nodes')
    assert.match(r.stderr, `Bind for 127.0.0.1:${port} failed: port is already allocated`)
    assert.is(sh(f.env, 'kind', ['get', 'clusters']).stderr, 'No kind clusters found.\n')
  } finally {
    f.cleanup()
  }
})

test.run()
