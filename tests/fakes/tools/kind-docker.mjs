// Fake kind on the REAL Docker engine (FAKE_DOCKER=real, the Docker tier): what kind v0.30.0 does to Docker,
// done for real through the docker CLI on PATH, while the kube side (context, Nodes) stays in the fake kubectl
// state. Sources: kind pkg/cluster/internal/providers/docker/{network.go,provision.go,provider.go}.
// - the network: `kind` (or KIND_EXPERIMENTAL_DOCKER_NETWORK), bridge, ip masquerade on, the default bridge's MTU,
//   a ULA IPv6 /64 derived from the name (sha1), IPv4-only when the engine has no IPv6; no labels.
// - one container per node, named and labelled like kind's, with kind's run flags, publishing exactly the
//   config's extraPortMappings plus the API server on 127.0.0.1:<random port>.
// - a failed `docker run` (a busy host port) prints the daemon's own message and deletes the nodes (not with --retain).
// Deviations: /lib/modules is bind-mounted only when the host has it (docker would create it on the host), and
// --privileged is left out when the engine cannot run privileged containers (FAKE_KIND_PRIVILEGED=0, decided by
// the tier: sandboxed engines refuse it with "unable to apply caps").
import { spawn, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
// kind asks the OS for a free port (listen on :0); see listener-port.mjs for why the fake draws another way
import { listenerPort } from './listener-port.mjs'
import { CLUSTER_LABEL, DEFAULT_NODE_IMAGE, ROLE_LABEL, dropKube, err, flag, has, kubeconfigYaml, nameOf, planNodes, readConfig, readyLines, setContext, writeKube } from './kind-ext.mjs'

const dk = (args) => {
  const r = spawnSync('docker', args, { encoding: 'utf8' })
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error.message) : '') }
}
const dkAsync = (args) => new Promise((resolve) => {
  const c = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  c.stdout.on('data', (d) => { stdout += d })
  c.stderr.on('data', (d) => { stderr += d })
  c.on('error', (e) => resolve({ code: 127, stdout, stderr: String(e.message) }))
  c.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
})
const lines = (s) => s.split('\n').map((l) => l.trim()).filter(Boolean)
const reEscape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** node container names of a cluster, sorted (kind: docker ps -a --filter label=io.x-k8s.kind.cluster=<name>) */
export function nodeNames(cluster) {
  return lines(dk(['ps', '-a', '--filter', `label=${CLUSTER_LABEL}=${cluster}`, '--format', '{{.Names}}']).stdout).sort()
}

function clusterNames() {
  return [...new Set(lines(dk(['ps', '-a', '--filter', `label=${CLUSTER_LABEL}`, '--format', `{{.Label "${CLUSTER_LABEL}"}}`]).stdout))].sort()
}

/** 127.0.0.1:<port> the control plane publishes 6443 on (from HostConfig: kept while the node is stopped). */
function apiServer(cluster) {
  const cp = `${cluster}-control-plane`
  const r = dk(['inspect', '--type', 'container', '--format', '{{json .HostConfig.PortBindings}}', cp])
  if (r.code !== 0) return undefined
  try {
    const b = Object.entries(JSON.parse(r.stdout) ?? {}).find(([k]) => k.startsWith('6443/'))?.[1]?.[0]
    return b ? `${b.HostIp || '127.0.0.1'}:${b.HostPort}` : undefined
  } catch { return undefined }
}

// ---- the network (network.go) ----

function ulaSubnet(name, attempt) {
  const a = Buffer.alloc(4)
  a.writeInt32LE(attempt)
  const bs = crypto.createHash('sha1').update(name).update(a).digest()
  const ip = Buffer.alloc(16)
  ip[0] = 0xfc
  for (let i = 2; i < 8; i++) ip[i] = bs[i]
  const groups = []
  for (let i = 0; i < 8; i += 2) groups.push(ip.readUInt16BE(i).toString(16))
  return `${groups.join(':')}::/64`
}

function networkExists(name) {
  return lines(dk(['network', 'ls', `--filter=name=^${reEscape(name)}$`, '--format={{.Name}}']).stdout).includes(name)
}

function createNetwork(name, subnet, mtu) {
  const args = ['network', 'create', '-d=bridge', '-o', 'com.docker.network.bridge.enable_ip_masquerade=true']
  if (mtu > 0) args.push('-o', `com.docker.network.driver.mtu=${mtu}`)
  if (subnet) args.push('--ipv6', '--subnet', subnet)
  args.push(name)
  const r = dk(args)
  if (r.code === 0 || /already exists/.test(r.stderr)) return undefined
  return r.stderr.trim()
}

function ensureNetwork(name) {
  if (networkExists(name)) return undefined
  const mtu = Number(lines(dk(['network', 'inspect', 'bridge', '-f', '{{ index .Options "com.docker.network.driver.mtu" }}']).stdout)[0]) || 0
  let e = createNetwork(name, ulaSubnet(name, 0), mtu)
  if (!e) return undefined
  if (/Cannot read IPv6 setup for bridge|unknown flag: --ipv6/.test(e)) return createNetwork(name, '', mtu)
  for (let attempt = 1; attempt < 5 && e && /Pool overlaps|networks have overlapping/.test(e); attempt++) {
    if (networkExists(name)) return undefined
    e = createNetwork(name, ulaSubnet(name, attempt), mtu)
  }
  return e
}

// ---- nodes (provision.go) ----

async function runArgs(s, cluster, network, env) {
  const args = ['run', '--name', s.name, '--hostname', s.name, '--label', `${ROLE_LABEL}=${s.role}`,
    ...(env?.FAKE_KIND_PRIVILEGED === '0' ? [] : ['--privileged']), '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined',
    '--tmpfs', '/tmp', '--tmpfs', '/run', '--volume', '/var',
    ...(fs.existsSync('/lib/modules') ? ['--volume', '/lib/modules:/lib/modules:ro'] : []),
    '-e', 'KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER',
    '--detach', '--tty', '--label', `${CLUSTER_LABEL}=${cluster}`, '--net', network, '--restart=on-failure:1', '--init=false', '--cgroupns=private']
  const mappings = [...(s.extraPortMappings ?? [])]
  if (s.role === 'control-plane') mappings.push({ listenAddress: '127.0.0.1', hostPort: await listenerPort(), containerPort: 6443 })
  for (const m of mappings) {
    const addr = m.listenAddress || '0.0.0.0'
    const host = addr.includes(':') ? `[${addr}]` : addr
    args.push(`--publish=${host}:${m.hostPort || (await listenerPort(addr))}:${m.containerPort}/${m.protocol ?? 'TCP'}`)
  }
  if (s.role === 'control-plane') args.push('-e', 'KUBECONFIG=/etc/kubernetes/admin.conf')
  args.push(s.image)
  return args
}

function deleteNodes(names) {
  if (names.length) dk(['rm', '-f', '-v', ...names])
}

function ensureImage(image) {
  if (dk(['image', 'inspect', '--format', '{{.Id}}', image]).code === 0) return undefined
  const r = dk(['pull', image])
  if (r.code === 0) return undefined
  return `ERROR: failed to create cluster: failed to pull image "${image}": command "docker pull ${image}" failed with error: exit status ${r.code}\nCommand Output: ${(r.stdout + r.stderr).trim()}`
}

async function createCluster(args, state, stdin, env) {
  const read = await readConfig(args, stdin)
  if (read.error) return read.error
  const { config, configPath } = read
  const name = nameOf(args, env, config)
  const retain = has(args, 'retain')
  if (nodeNames(name).length) return err(`ERROR: failed to create cluster: node(s) already exist for a cluster with the name "${name}"`)
  const { specs, workers } = planNodes(config, name, flag(args, 'image'))
  const shownImage = (specs[0]?.image ?? DEFAULT_NODE_IMAGE).split('@')[0]
  const boxes = specs.map(() => '📦').join(' ')
  const out = [`Creating cluster "${name}" ...`]
  for (const image of new Set(specs.map((s) => s.image))) {
    const bad = ensureImage(image)
    if (bad) return err([...out, ` ✗ Ensuring node image (${shownImage}) 🖼`, bad].join('\n'))
  }
  out.push(` ✓ Ensuring node image (${shownImage}) 🖼`)
  const network = env?.KIND_EXPERIMENTAL_DOCKER_NETWORK || 'kind'
  const netErr = ensureNetwork(network)
  if (netErr) return err([...out, ` ✗ Preparing nodes ${boxes}`, `ERROR: failed to create cluster: failed to ensure docker network: command "docker network create ... ${network}" failed with error: exit status 1`, `Command Output: ${netErr}`].join('\n'))

  // kind creates the node containers concurrently and reports the first failure
  const plans = await Promise.all(specs.map((s) => runArgs(s, name, network, env)))
  const results = await Promise.all(plans.map((a) => dkAsync(a)))
  const failed = results.findIndex((r) => r.code !== 0)
  if (failed !== -1) {
    const nodes = nodeNames(name)
    if (!retain) deleteNodes(nodes)
    out.push(` ✗ Preparing nodes ${boxes}`)
    if (!retain && nodes.length) out.push(`Deleted nodes: [${nodes.map((n) => `"${n}"`).join(' ')}]`)
    out.push(`ERROR: failed to create cluster: command "docker ${plans[failed].join(' ')}" failed with error: exit status ${results[failed].code}`)
    out.push(`Command Output: ${(results[failed].stdout + results[failed].stderr).trim()}`)
    return err(out.join('\n'))
  }
  out.push(` ✓ Preparing nodes ${boxes}`, ...readyLines(workers, flag(args, 'wait')))
  out.push(...(await writeKube(state, name, specs, configPath, apiServer(name))))
  return { code: 0, stdout: '', stderr: `${out.join('\n')}\n` }
}

async function deleteCluster(name, state) {
  const nodes = nodeNames(name)
  deleteNodes(nodes)
  await dropKube(state, name)
  const deleted = nodes.length ? `Deleted nodes: [${nodes.map((n) => `"${n}"`).join(' ')}]\n` : ''
  return { code: 0, stdout: '', stderr: `Deleting cluster "${name}" ...\n${deleted}` }
}

const noControlPlane = (name) => err(`ERROR: could not locate any control plane nodes for cluster named '${name}'. Use the --name option to select a different cluster`)

export default async function kindDocker({ argv, state, stdin, env }) {
  const [verb, noun, ...args] = argv
  if (verb === 'get' && noun === 'clusters') {
    const names = clusterNames()
    return names.length ? { code: 0, stdout: names.map((n) => `${n}\n`).join('') } : { code: 0, stdout: '', stderr: 'No kind clusters found.\n' }
  }
  if (verb === 'get' && noun === 'nodes') {
    const name = nameOf(args, env)
    const nodes = nodeNames(name)
    return nodes.length ? { code: 0, stdout: nodes.map((n) => `${n}\n`).join('') } : { code: 0, stdout: '', stderr: `No kind nodes found for cluster "${name}".\n` }
  }
  if (verb === 'get' && noun === 'kubeconfig') {
    const name = nameOf(args, env)
    const server = apiServer(name)
    return server ? { code: 0, stdout: await kubeconfigYaml(state, name, server) } : noControlPlane(name)
  }
  if (verb === 'create' && noun === 'cluster') return createCluster(args, state, stdin, env)
  if (verb === 'delete' && noun === 'cluster') return deleteCluster(nameOf(args, env), state)
  if (verb === 'delete' && noun === 'clusters') {
    const names = has(args, 'all') ? clusterNames() : args.filter((a) => !a.startsWith('-'))
    for (const n of names) await deleteCluster(n, state)
    return { code: 0, stdout: '', stderr: `Deleted clusters: [${names.map((n) => `"${n}"`).join(' ')}]\n` }
  }
  if (verb === 'export' && noun === 'kubeconfig') {
    const name = nameOf(args, env)
    const server = apiServer(name)
    if (!server) return noControlPlane(name)
    return { code: 0, stdout: '', stderr: `Set kubectl context to "${await setContext(state, name, server)}"\n` }
  }
  if (verb === 'export' && noun === 'logs') {
    const name = nameOf(args, env)
    if (!nodeNames(name).length) return err(`ERROR: unknown cluster "${name}"`)
    const dir = args.find((a) => !a.startsWith('-') && a !== name) ?? `/tmp/${crypto.randomInt(1e9)}`
    return { code: 0, stdout: '', stderr: `Exporting logs for cluster "${name}" to:\n${dir}\n` }
  }
  return undefined
}
