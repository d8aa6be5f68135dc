// A world as `up` leaves it, built with the fake CLIs themselves (kind create cluster, docker run, ...), plus
// the local state up writes. Shared by the down tests.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { listenerPort as freePort } from '../fakes/tools/listener-port.mjs'
import path from 'node:path'
import { commandLines, fakeEnv, type FakeEnv } from '../helpers/fakes.mts'

export interface WorldOptions {
  /** ours (labelled), foreign (same name, no label) or none */
  registry?: 'ours' | 'foreign' | 'none'
  /** another kind cluster on the same network */
  otherCluster?: string
  /** up recorded that it created the kind network */
  networkCreatedByUs?: boolean
  /** write local state (state.json, last-run.json, Grafana password) */
  state?: boolean
  /** extra env for the scripts (e.g. PLATFORM_PROVIDER) */
  env?: NodeJS.ProcessEnv
}

export interface World {
  f: FakeEnv
  env: NodeJS.ProcessEnv
  stateDir: string
  registryPort: number
  cli(tool: string, args: string[]): string
  /** snapshot of what down could delete, to compare before/after */
  snapshot(): unknown
  clusters(): string[]
  containers(): string[]
  /** `docker volume ls -q` */
  volumes(): string[]
  contexts(): string[]
  currentContext(): string
  cleanup(): void
}

export const PASSWORD = 'not-a-real-password-1234'

export async function kindWorld(o: WorldOptions = {}): Promise<World> {
  // the kubeconfig already has a cloud context, and it is the current one
  const f = fakeEnv({ kube: { currentContext: 'prod-eks', contexts: { 'prod-eks': { server: 'prod.example:443' } }, objects: {} } }, o.env ?? {})
  const env = f.env
  const stateDir = env.STATE_DIR!
  const cli = (tool: string, args: string[]) => {
    const r = spawnSync(tool, args, { env, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
  const registryPort = await freePort()
  cli('kind', ['create', 'cluster', '--name', 'platform'])
  if (o.otherCluster) cli('kind', ['create', 'cluster', '--name', o.otherCluster])
  // kind switches the current context; the user switched back to the cloud one
  cli('kubectl', ['config', 'use-context', 'prod-eks'])
  if ((o.registry ?? 'ours') !== 'none') {
    const label = o.registry === 'foreign' ? [] : ['--label', 'dev.platform.role=registry']
    cli('docker', ['run', '-d', '--restart=always', '--name', 'kind-registry', ...label, '--network', 'bridge', '-p', `127.0.0.1:${registryPort}:5000`, 'registry:2'])
    cli('docker', ['network', 'connect', 'kind', 'kind-registry'])
    // the registry image declares VOLUME /var/lib/registry: the fake docker run gives it an anonymous volume
    // that holds the cached images, as dockerd does
  }
  if (o.state ?? true) {
    fs.mkdirSync(stateDir, { recursive: true })
    fs.writeFileSync(path.join(stateDir, 'state.json'), JSON.stringify({
      version: 1,
      clusterName: 'platform',
      provider: 'kind',
      ports: { registry: registryPort, http: 8080, https: 8443 },
      registry: { name: 'kind-registry', image: 'registry:2', port: registryPort, createdByUs: true },
      cluster: { name: 'platform', context: 'kind-platform', createdByUs: true },
      network: { name: 'kind', createdByUs: o.networkCreatedByUs ?? true },
      grafana: { secretFile: 'grafana-admin-password' },
    }, null, 2))
    fs.writeFileSync(path.join(stateDir, 'last-run.json'), '{"command":"up","ok":true}\n')
    fs.writeFileSync(path.join(stateDir, 'grafana-admin-password'), `${PASSWORD}\n`, { mode: 0o600 })
  }
  const w: World = {
    f,
    env,
    stateDir,
    registryPort,
    cli,
    clusters: () => cli('kind', ['get', 'clusters']).split('\n').filter(Boolean),
    containers: () => Object.keys(f.state().docker.containers).sort(),
    volumes: () => cli('docker', ['volume', 'ls', '-q']).split('\n').filter(Boolean),
    contexts: () => Object.keys(f.state().kube.contexts).sort(),
    currentContext: () => f.state().kube.currentContext,
    snapshot() {
      const s = f.state()
      const files = fs.existsSync(stateDir) ? fs.readdirSync(stateDir).sort().map((n) => [n, fs.readFileSync(path.join(stateDir, n), 'utf8')]) : []
      return { containers: Object.keys(s.docker.containers).sort(), networks: Object.keys(s.docker.networks).sort(), contexts: s.kube.contexts, current: s.kube.currentContext, files }
    },
    cleanup() { f.cleanup() },
  }
  return w
}

/** A long-running process whose command line says port-forward (as kubectl port-forward's does). */
export function fakePortForward(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', 'kubectl', 'port-forward', 'svc/grafana', '3000:80'], { stdio: 'ignore', detached: true })
  child.unref()
  return child
}

/** A long-running process that is NOT a port-forward (a pid that got reused by something else). */
export function unrelatedProcess(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', 'some-editor'], { stdio: 'ignore', detached: true })
  child.unref()
  return child
}

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : ''
    return !/\) Z /.test(stat)
  } catch {
    return false
  }
}

/** Every kubectl call down made names the cluster's context explicitly. */
export function kubectlCallsWithoutContext(f: FakeEnv, context: string): string[][] {
  return f.calls('kubectl').map((c) => c.argv).filter((argv) => {
    const i = argv.indexOf('--context')
    return !(i !== -1 && argv[i + 1] === context) && !argv.includes(`--context=${context}`)
  })
}

const MUTATING = /^(kind (create|delete)|docker (rm|run|stop|network (rm|disconnect|create))|kubectl .*(delete|config (delete|use|set))|helm (uninstall|upgrade)|flux uninstall)/

/** Recorded calls that change anything, as command lines (kubectl's --context left out for matching). */
export const mutatingCalls = (w: World): string[] => commandLines(w.f.calls()).filter((l) => MUTATING.test(l.replace(/--context \S+ /, '')))
