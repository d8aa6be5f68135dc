// Run a script of the suite as a real process, exactly as a user does (`npx zx scripts/<name>.mts`).

import { spawn } from 'node:child_process'
import path from 'node:path'
import { REPO } from './fakes.mts'

export interface ProcResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export interface RunScriptOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** 'closed': stdin at EOF; 'open': an open pipe nobody writes to (a CI runner); string: written then closed */
  stdin?: 'closed' | 'open' | string
  /** kill after this long; the test then sees signal SIGKILL (a hang) */
  timeoutMs?: number
}

const ZX_CLI = path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js')

export function runScript(name: string, args: string[] = [], opts: RunScriptOptions = {}): Promise<ProcResult> {
  const script = path.join(REPO, 'scripts', `${name}.mts`)
  return runNode([ZX_CLI, script, ...args], opts)
}

export function runNode(args: string[], opts: RunScriptOptions = {}): Promise<ProcResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    const stdin = opts.stdin ?? 'closed'
    if (stdin === 'closed') child.stdin.end()
    else if (stdin !== 'open') child.stdin.end(stdin)
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (stdin === 'open') child.stdin.destroy()
      resolve({ code, signal, stdout, stderr })
    })
  })
}
