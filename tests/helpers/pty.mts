// Run a script of the suite in a REAL pseudo-terminal and type at it (prompts, arrows, Ctrl-C).
// The terminal is python3's `pty` module (tests/helpers/pty_driver.py): it is on every CI image,
// where node-pty would need a native build.

import { spawn } from 'node:child_process'
import path from 'node:path'
import { REPO } from './fakes.mts'

export const KEY = {
  up: '\x1b[A',
  down: '\x1b[B',
  space: ' ',
  enter: '\r',
  ctrlC: '\x03',
} as const

export interface PtyStep {
  /** regex (source) that must appear in the ANSI-stripped output after the previous step's match */
  expect?: string
  /** keys to type once it did */
  send?: string
  /** seconds to wait for `expect` (default 30) */
  timeout?: number
  /** seconds to let the screen settle before typing (default 0.15) */
  delay?: number
}

export interface PtyOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  steps?: PtyStep[]
  rows?: number
  cols?: number
  /** seconds for the whole run (default 60); the child is killed after it */
  timeout?: number
}

export interface PtyResult {
  code: number | null
  signal: number | null
  /** raw terminal output (ANSI included) */
  raw: string
  /** output with escape sequences stripped, for asserts */
  output: string
  timedOut: boolean
  /** the step that never saw its expected text, if any */
  failedStep: { index: number; expect?: string; send?: string; reason: string } | null
}

const DRIVER = path.join(REPO, 'tests', 'helpers', 'pty_driver.py')
const ZX_CLI = path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js')

export const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\r/g, '')

export function runInPty(argv: string[], opts: PtyOptions = {}): Promise<PtyResult> {
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env), TERM: 'xterm-256color' }
  // Prompts are off when CI is set (and ora stops animating even for CI=false): a pty test is a person.
  delete env.CI
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  const spec = { argv, env, cwd: opts.cwd ?? REPO, rows: opts.rows ?? 40, cols: opts.cols ?? 120, timeout: opts.timeout ?? 60, steps: opts.steps ?? [] }
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [DRIVER], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { err += d })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pty driver failed (exit ${code}): ${err}`))
      const r = JSON.parse(out) as { code: number | null; signal: number | null; output: string; timedOut: boolean; failedStep: PtyResult['failedStep'] }
      resolve({ code: r.code, signal: r.signal, raw: r.output, output: stripAnsi(r.output), timedOut: r.timedOut, failedStep: r.failedStep })
    })
    child.stdin.end(JSON.stringify(spec))
  })
}

/** `npx zx scripts/<name>.mts ...` in a pty, with the Node 24 running the tests. */
export function runScriptInPty(name: string, args: string[], opts: PtyOptions = {}): Promise<PtyResult> {
  return runInPty([process.execPath, ZX_CLI, path.join(REPO, 'scripts', `${name}.mts`), ...args], opts)
}
