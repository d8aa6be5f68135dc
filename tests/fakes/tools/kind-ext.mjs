// Fake kind: clusters are node containers in the fake docker state (labels io.x-k8s.kind.cluster/role, like
// real kind, so `docker rm -f` of a node is seen by kind too) plus a kube context kind-<name> in the fake
// kubectl state with the standard namespaces and Node objects. Output lines and messages follow kind v0.30.
// With FAKE_DOCKER=real (the Docker tier) the docker side is done for real by kind-docker.mjs; the config
// parsing, node planning and kube side below are shared.
import fs from 'node:fs'
import crypto from 'node:crypto'
import { listenerPort } from './listener-port.mjs'
import { docker, newContainer, newNetwork, startPorts } from './docker-ext.mjs'

// yaml and the kube store load only for the commands that need them (every fake call is a new process)
const yaml = async () => (await import('yaml')).default
const store = () => import('./kubectl/store.mjs')

export const DEFAULT_NODE_IMAGE = 'kindest/node:v1.34.0@sha256:7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a'
export const CLUSTER_LABEL = 'io.x-k8s.kind.cluster'
export const ROLE_LABEL = 'io.x-k8s.kind.role'

export const err = (stderr, code = 1, stdout = '') => ({ code, stdout, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` })

export function flag(args, name) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1]
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3)
  }
  return undefined
}
export const has = (args, name) => args.includes(`--${name}`) || args.some((a) => a === `--${name}=true`)

export function clusterNodes(state, name) {
  return Object.values(docker(state).containers).filter((c) => c.Config.Labels?.[CLUSTER_LABEL] === name)
}

function clusterNames(state) {
  return [...new Set(Object.values(docker(state).containers).map((c) => c.Config.Labels?.[CLUSTER_LABEL]).filter(Boolean))].sort()
}

export const nameOf = (args, env, config) => flag(args, 'name') ?? config?.name ?? env?.KIND_CLUSTER_NAME ?? 'kind'

function apiServer(state, name) {
  const cp = clusterNodes(state, name).find((c) => c.Config.Labels[ROLE_LABEL] === 'control-plane')
  const b = cp?.HostConfig.PortBindings?.['6443/tcp']?.[0]
  return b ? `${b.HostIp}:${b.HostPort}` : undefined
}

export async function setContext(state, name, server = apiServer(state, name)) {
  const k = (await store()).kube(state)
  const ctx = `kind-${name}`
  const prev = k.contexts[ctx] ?? {}
  k.contexts[ctx] = { ...prev, server, cluster: ctx, user: ctx }
  k.currentContext = ctx
  return ctx
}

function nodeObject(name, role, labels, version) {
  const l = { 'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels }
  if (role === 'control-plane') l['node-role.kubernetes.io/control-plane'] = ''
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: l },
    spec: { podCIDR: '10.244.0.0/24', ...(role === 'control-plane' ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } : {}) },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }], nodeInfo: { kubeletVersion: version, containerRuntimeVersion: 'containerd://2.1.4' } },
  }
}

/** The --config file as kind reads it: { config, configPath } or { error } (kind's messages). */
export async function readConfig(args, stdin) {
  const configPath = flag(args, 'config')
  let config = {}
  if (configPath) {
    let text
    try { text = configPath === '-' ? stdin : fs.readFileSync(configPath, 'utf8') } catch (e) {
      return { error: err(`ERROR: failed to create cluster: error reading file: open ${configPath}: no such file or directory`) }
    }
    try { config = (await yaml()).parse(text) ?? {} } catch (e) {
      return { error: err(`ERROR: failed to create cluster: unable to decode config: ${e.message.split('\n')[0]}`) }
    }
    if (config.kind !== 'Cluster' || config.apiVersion !== 'kind.x-k8s.io/v1alpha4') {
      return { error: err(`ERROR: failed to create cluster: unknown apiVersion: ${config.apiVersion}`) }
    }
  }
  return { config, configPath }
}

/** kind's node plan: names <cluster>-<role>[N], images, an external load balancer for several control planes. */
export function planNodes(config, name, image) {
  const nodes = (config.nodes?.length ? config.nodes : [{ role: 'control-plane' }]).map((n) => ({ ...n, role: n.role ?? 'control-plane' }))
  const count = {}
  const specs = nodes.map((n) => {
    const i = (count[n.role] = (count[n.role] ?? 0) + 1)
    return { ...n, name: `${name}-${n.role}${i === 1 ? '' : i}`, image: image ?? n.image ?? DEFAULT_NODE_IMAGE }
  })
  if ((count['control-plane'] ?? 0) > 1) specs.push({ role: 'external-load-balancer', name: `${name}-external-load-balancer`, image: 'docker.io/kindest/haproxy:v20250714-0a3c2ae4' })
  return { specs, workers: count.worker ?? 0 }
}

/** kind's progress lines after the nodes exist. */
export function readyLines(workers, wait) {
  const lines = [' ✓ Writing configuration 📜', ' ✓ Starting control-plane 🕹️', ' ✓ Installing CNI 🔌', ' ✓ Installing StorageClass 💾']
  if (workers) lines.push(' ✓ Joining worker nodes 🚜')
  if (wait && wait !== '0s' && wait !== '0') lines.push(` ✓ Waiting ≤ ${wait.replace(/^(\d+)s$/, (_, s) => `${Math.floor(s / 60)}m${s % 60}s`)} for control-plane = Ready ⏳`, ' • Ready after 15s 💚')
  return lines
}

/** The kube side of a new cluster: context kind-<name> (made current), standard namespaces, one Node per node. */
export async function writeKube(state, name, specs, configPath, server) {
  const ctx = await setContext(state, name, server)
  const objects = (await store()).objectsOf(state, ctx)
  objects.length = 0
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']) {
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } }, status: { phase: 'Active' } })
  }
  const version = (specs[0]?.image ?? '').match(/:(v\d+\.\d+\.\d+)/)?.[1] ?? 'v1.34.0'
  for (const s of specs) {
    if (s.role === 'external-load-balancer') continue
    objects.push(nodeObject(s.name, s.role, Object.fromEntries(Object.entries(s.labels ?? {}).map(([k, v]) => [k, String(v)])), version))
  }
  ;(state.kind ??= {}).clusters ??= {}
  state.kind.clusters[name] = { name, image: specs[0]?.image, nodes: specs.map((s) => s.name), config: configPath ?? null }
  return [`Set kubectl context to "${ctx}"`, 'You can now use your cluster with:', '', `kubectl cluster-info --context ${ctx}`, '', 'Have a nice day! 👋']
}

/** The kube side of a deleted cluster. */
export async function dropKube(state, name) {
  const k = (await store()).kube(state)
  const ctx = `kind-${name}`
  delete k.contexts[ctx]
  if (k.currentContext === ctx) k.currentContext = ''
  delete k.objects[ctx]
  if (state.kind?.clusters) delete state.kind.clusters[name]
}

async function createCluster(args, state, stdin, env) {
  const read = await readConfig(args, stdin)
  if (read.error) return read.error
  const { config, configPath } = read
  const name = nameOf(args, env, config)
  const retain = has(args, 'retain')
  const wait = flag(args, 'wait')
  if (clusterNodes(state, name).length) return err(`ERROR: failed to create cluster: node(s) already exist for a cluster with the name "${name}"`)

  const d = docker(state)
  const netName = env?.KIND_EXPERIMENTAL_DOCKER_NETWORK || 'kind'
  d.networks[netName] ??= newNetwork(netName)
  const { specs, workers } = planNodes(config, name, flag(args, 'image'))
  const shownImage = (specs[0]?.image ?? DEFAULT_NODE_IMAGE).split('@')[0]
  const boxes = specs.map(() => '📦').join(' ')
  const lines = [`Creating cluster "${name}" ...`, ` ✓ Ensuring node image (${shownImage}) 🖼`]

  // Create node containers; a host port clash fails like kind does (the docker run error, then cleanup).
  const created = []
  for (const s of specs) {
    const portBindings = {}
    // kind asks the OS for a free port (net.Listen :0); see listener-port.mjs for why the fake draws another way
    if (s.role === 'control-plane' && !portBindings['6443/tcp']) portBindings['6443/tcp'] = [{ HostIp: '127.0.0.1', HostPort: String(await listenerPort()) }]
    for (const m of s.extraPortMappings ?? []) {
      const key = `${m.containerPort}/${String(m.protocol ?? 'TCP').toLowerCase()}`
      ;(portBindings[key] ??= []).push({ HostIp: m.listenAddress ?? '0.0.0.0', HostPort: String(m.hostPort ?? 0) })
    }
    const labels = { [CLUSTER_LABEL]: name, [ROLE_LABEL]: s.role }
    const c = newContainer({ name: s.name, image: s.image, labels, portBindings, restart: 'on-failure:1', networks: [netName], running: false, hostname: s.name })
    d.containers[s.name] = c
    created.push(c)
    const bad = await startPorts(d, c)
    if (bad) {
      if (!retain) for (const x of created) delete d.containers[x.Name.slice(1)]
      lines.push(` ✗ Preparing nodes ${boxes}`)
      if (!retain) lines.push(`Deleted nodes: [${created.map((x) => `"${x.Name.slice(1)}"`).join(' ')}]`)
      lines.push(`ERROR: failed to create cluster: command "docker run --name ${s.name} --hostname ${s.name} --label ${ROLE_LABEL}=${s.role} --privileged --restart=on-failure:1 --net ${netName} ${s.image}" failed with error: exit status 125`)
      lines.push(`Command Output: docker: Error response from daemon: ${bad}.`)
      return err(lines.join('\n'))
    }
  }
  lines.push(` ✓ Preparing nodes ${boxes}`, ...readyLines(workers, wait))
  lines.push(...(await writeKube(state, name, specs, configPath)))
  return { code: 0, stdout: '', stderr: `${lines.join('\n')}\n` }
}

async function deleteCluster(args, state, env) {
  const name = nameOf(args, env)
  const d = docker(state)
  const nodes = clusterNodes(state, name)
  for (const c of nodes) delete d.containers[c.Name.slice(1)]
  await dropKube(state, name)
  // like kind: deleting a cluster that does not exist is not an error
  const deleted = nodes.length ? `Deleted nodes: [${nodes.map((c) => `"${c.Name.slice(1)}"`).join(' ')}]\n` : ''
  return { code: 0, stdout: '', stderr: `Deleting cluster "${name}" ...\n${deleted}` }
}

export async function kubeconfigYaml(state, name, server = apiServer(state, name)) {
  const ctx = `kind-${name}`
  return (await yaml()).stringify({
    apiVersion: 'v1', kind: 'Config', preferences: {},
    clusters: [{ name: ctx, cluster: { server: `https://${server}`, 'certificate-authority-data': 'RkFLRQ==' } }],
    contexts: [{ name: ctx, context: { cluster: ctx, user: ctx } }],
    'current-context': ctx,
    users: [{ name: ctx, user: { 'client-certificate-data': 'RkFLRQ==', 'client-key-data': 'RkFLRQ==' } }],
  })
}

export default async function kindExt({ argv, state, stdin, env }) {
  if (env?.FAKE_DOCKER === 'real') return (await import('./kind-docker.mjs')).default({ argv, state, stdin, env })
  const [verb, noun, ...args] = argv
  if (verb === 'get' && noun === 'clusters') {
    const names = clusterNames(state)
    return names.length ? { code: 0, stdout: names.map((n) => `${n}\n`).join('') } : { code: 0, stdout: '', stderr: 'No kind clusters found.\n' }
  }
  if (verb === 'get' && noun === 'nodes') {
    const name = nameOf(args, env)
    const nodes = clusterNodes(state, name).map((c) => c.Name.slice(1)).sort()
    return nodes.length ? { code: 0, stdout: nodes.map((n) => `${n}\n`).join('') } : { code: 0, stdout: '', stderr: `No kind nodes found for cluster "${name}".\n` }
  }
  if (verb === 'get' && noun === 'kubeconfig') {
    const name = nameOf(args, env)
    if (!clusterNodes(state, name).length) return err(`ERROR: could not locate any control plane nodes for cluster named '${name}'. Use the --name option to select a different cluster`)
    return { code: 0, stdout: await kubeconfigYaml(state, name) }
  }
  if (verb === 'create' && noun === 'cluster') return createCluster(args, state, stdin, env)
  if (verb === 'delete' && noun === 'cluster') return deleteCluster(args, state, env)
  if (verb === 'delete' && noun === 'clusters') {
    const names = has(args, 'all') ? clusterNames(state) : args.filter((a) => !a.startsWith('-'))
    for (const n of names) await deleteCluster(['--name', n], state, env)
    return { code: 0, stdout: '', stderr: `Deleted clusters: [${names.map((n) => `"${n}"`).join(' ')}]\n` }
  }
  if (verb === 'export' && noun === 'kubeconfig') {
    const name = nameOf(args, env)
    if (!clusterNodes(state, name).length) return err(`ERROR: could not locate any control plane nodes for cluster named '${name}'. Use the --name option to select a different cluster`)
    return { code: 0, stdout: '', stderr: `Set kubectl context to "${await setContext(state, name)}"\n` }
  }
  if (verb === 'export' && noun === 'logs') {
    const name = nameOf(args, env)
    if (!clusterNodes(state, name).length) return err(`ERROR: unknown cluster "${name}"`)
    const dir = args.find((a) => !a.startsWith('-') && a !== name) ?? `/tmp/${crypto.randomInt(1e9)}`
    return { code: 0, stdout: '', stderr: `Exporting logs for cluster "${name}" to:\n${dir}\n` }
  }
  return undefined
}
