// Puts the fake CLIs (tests/fakes/bin) first on PATH with a fresh state dir. See tests/fakes/README.md.

import { execFileSync } from 'node:child_process'
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

function realKubectl(): string | undefined {
  try {
    const pathWithoutFakes = (process.env.PATH ?? '').split(':').filter((p) => p !== FAKE_BIN).join(':')
    return execFileSync('sh', ['-c', 'command -v kubectl'], { env: { ...process.env, PATH: pathWithoutFakes }, encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

export function fakeEnv(initial: Record<string, unknown> = {}, extraEnv: NodeJS.ProcessEnv = {}): FakeEnv {
  const dir = tempDir('platform-fakes-')
  const home = path.join(dir, 'home')
  fs.mkdirSync(home)
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(initial, null, 2))
  fs.writeFileSync(path.join(dir, 'calls.jsonl'), '')
  const basePath = (process.env.PATH ?? '').split(':').filter((p) => p !== FAKE_BIN).join(':')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${FAKE_BIN}:${path.dirname(process.execPath)}:${basePath}`,
    HOME: home,
    KUBECONFIG: path.join(home, '.kube', 'config'),
    FAKE_STATE_DIR: dir,
    FAKE_NODE: process.execPath,
    FAKE_REAL_KUBECTL: realKubectl(),
    STATE_DIR: path.join(dir, 'platform-state'),
    PLATFORM_ENV_FILE: path.join(dir, 'no.env'),
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
      return tool ? all.filter((c) => c.tool === tool) : all
    },
    state() { return JSON.parse(fs.readFileSync(statePath, 'utf8')) },
    setState(change) {
      const s = JSON.parse(fs.readFileSync(statePath, 'utf8'))
      change(s)
      fs.writeFileSync(statePath, JSON.stringify(s, null, 2))
    },
    inject(fault) { this.setState((s) => { (s.faults ??= []).push(fault) }) },
    clearCalls() { fs.writeFileSync(path.join(dir, 'calls.jsonl'), '') },
    cleanup() { removeDir(dir) },
  }
}

/** "kind create cluster --name x" style strings of recorded calls, for readable asserts */
export const commandLines = (calls: Call[]): string[] => calls.map((c) => [c.tool, ...c.argv].join(' '))
