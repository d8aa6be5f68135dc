// Puts the fake CLIs (tests/fakes/bin) first on PATH with a fresh state dir. See tests/fakes/README.md.
// With { docker: 'real' } (the Docker tier, tests/docker/) docker is the real CLI and engine: every fake but
// docker is on PATH, plus a shim that records each docker call and runs the real one, and the fake kind
// creates real node containers (FAKE_DOCKER=real).

import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { removeDir, tempDir } from './tmp.mts'

export const REPO = path.resolve(import.meta.dirname, '..', '..')
const FAKE_BIN = path.join(REPO, 'tests', 'fakes', 'bin')

export interface Call { tool: string; argv: string[]; t: number }

export interface Fault {
  tool: 'docker' | 'kind' | 'kubectl' | 'helm' | 'flux'
  /** substring of the joined argv, or an argv prefix */
  match?: string | string[]
  exitCode?: number
  stdout?: string
  stderr?: string
  /** fail this many times, then behave normally */
  times?: number
  /** never return (a stuck wait); the caller's timeout must kill it */
  hang?: boolean
  /** run the normal behaviour (state changes) but still fail */
  passthrough?: boolean
  /** answer only after this many ms (the state lock already released): a slow tool */
  delayMs?: number
}

export interface FakeEnv {
  dir: string
  env: NodeJS.ProcessEnv
  calls(tool?: string): Call[]
  state<T = any>(): T
  setState(change: (s: any) => void): void
  inject(fault: Fault): void
  clearCalls(): void
  cleanup(): void
}

function realTool(tool: string): string | undefined {
  try {
    const pathWithoutFakes = (process.env.PATH ?? '').split(':').filter((p) => p !== FAKE_BIN).join(':')
    return execFileSync('sh', ['-c', `command -v ${tool}`], { env: { ...process.env, PATH: pathWithoutFakes }, encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}
const realKubectl = () => realTool('kubectl')

// The fake daemon (tests/fakes/daemon.mjs) that answers every fake call of every fake world of this process: the
// test runner's (FAKE_DAEMON), or for a test file run on its own one started on the first fakeEnv() that ends with
// this process. FAKE_NO_DAEMON=1 runs each call as a Node process of its own instead.
let daemon = process.env.FAKE_DAEMON || undefined
function fakeDaemon(): string | undefined {
  if (process.env.FAKE_NO_DAEMON === '1') return undefined
  if (daemon) return daemon
  const dir = tempDir('platform-fake-daemon-')
  const portFile = path.join(dir, 'port')
  const child = spawn(process.execPath, [path.join(REPO, 'tests', 'fakes', 'daemon.mjs'), portFile], { stdio: ['pipe', 'ignore', 'inherit'] })
  child.unref()
  ;(child.stdin as unknown as { unref(): void }).unref()
  // fakeEnv() is synchronous: wait for the daemon to listen (a Node start-up, once per test process)
  const tick = new Int32Array(new SharedArrayBuffer(4))
  for (let waited = 0; !fs.existsSync(portFile); waited += 5) {
    if (waited > 30_000 || child.exitCode !== null) throw new Error(`the fake daemon did not start (exit ${child.exitCode})`)
    Atomics.wait(tick, 0, 0, 5)
  }
  daemon = fs.readFileSync(portFile, 'utf8')
  removeDir(dir)
  return daemon
}

// one line per call: the arguments separated by \x1f (one write, so concurrent calls do not interleave)
const DOCKER_SHIM = `#!/bin/sh
line=$(printf '%s\\037' "$@")
printf '%s\\n' "$line" >> "$FAKE_STATE_DIR/docker-calls.log"
exec "$REAL_DOCKER" "$@"
`

/** A bin dir with every fake except docker, and the recording docker shim. */
function tierBin(dir: string): string {
  const bin = path.join(dir, 'bin')
  fs.mkdirSync(bin)
  for (const tool of fs.readdirSync(FAKE_BIN)) if (tool !== 'docker') fs.symlinkSync(path.join(FAKE_BIN, tool), path.join(bin, tool))
  fs.writeFileSync(path.join(bin, 'docker'), DOCKER_SHIM, { mode: 0o755 })
  return bin
}

export interface FakeEnvOptions {
  /** 'real': the real docker CLI and engine instead of the fake (the Docker tier) */
  docker?: 'fake' | 'real'
}

export function fakeEnv(initial: Record<string, unknown> = {}, extraEnv: NodeJS.ProcessEnv = {}, opts: FakeEnvOptions = {}): FakeEnv {
  const dir = tempDir('platform-fakes-')
  const home = path.join(dir, 'home')
  fs.mkdirSync(home)
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(initial, null, 2))
  fs.writeFileSync(path.join(dir, 'calls.jsonl'), '')
  const basePath = (process.env.PATH ?? '').split(':').filter((p) => p !== FAKE_BIN).join(':')
  const realDocker = opts.docker === 'real' ? realTool('docker') : undefined
  if (opts.docker === 'real' && !realDocker) throw new Error('fakeEnv({ docker: "real" }): no docker CLI on PATH')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${realDocker ? tierBin(dir) : FAKE_BIN}:${path.dirname(process.execPath)}:${basePath}`,
    ...(realDocker ? { FAKE_DOCKER: 'real', REAL_DOCKER: realDocker } : {}),
    HOME: home,
    KUBECONFIG: path.join(home, '.kube', 'config'),
    FAKE_STATE_DIR: dir,
    FAKE_NODE: process.execPath,
    FAKE_DAEMON: fakeDaemon(),
    FAKE_REAL_KUBECTL: realKubectl(),
    STATE_DIR: path.join(dir, 'platform-state'),
    // no .env of the developer's leaks into a test (a missing PLATFORM_ENV_FILE is an error)
    PLATFORM_ENV_FILE: '/dev/null',
    NO_COLOR: '1',
    ...extraEnv,
  }
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  const statePath = path.join(dir, 'state.json')
  return {
    dir,
    env,
    calls(tool) {
      const lines = fs.readFileSync(path.join(dir, 'calls.jsonl'), 'utf8').split('\n').filter(Boolean)
      const all = lines.map((l) => JSON.parse(l) as Call)
      if (realDocker) {
        // the shim's log has no clock: real docker calls come after the fakes' calls
        const log = path.join(dir, 'docker-calls.log')
        const shim = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []
        all.push(...shim.map((l): Call => ({ tool: 'docker', argv: l.split('\x1f').slice(0, -1), t: 0 })))
      }
      return tool ? all.filter((c) => c.tool === tool) : all
    },
    state() { return JSON.parse(fs.readFileSync(statePath, 'utf8')) },
    setState(change) {
      const s = JSON.parse(fs.readFileSync(statePath, 'utf8'))
      change(s)
      fs.writeFileSync(statePath, JSON.stringify(s, null, 2))
    },
    inject(fault) { this.setState((s) => { (s.faults ??= []).push(fault) }) },
    clearCalls() {
      fs.writeFileSync(path.join(dir, 'calls.jsonl'), '')
      if (realDocker) fs.writeFileSync(path.join(dir, 'docker-calls.log'), '')
    },
    cleanup() { removeDir(dir) },
  }
}

/** "kind create cluster --name x" style strings of recorded calls, for readable asserts */
export const commandLines = (calls: Call[]): string[] => calls.map((c) => [c.tool, ...c.argv].join(' '))
