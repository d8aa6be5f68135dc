// The one command wrapper every tool adapter uses. It is the only place that spawns processes.
// - verbose: echo each command (redacted) and its stderr to our stderr
// - dry-run: mutating calls are printed and recorded, not run; read-only queries still run
// - timeouts, retries with exponential backoff, and tracking of children so Ctrl-C can kill them all

import { spawn, type ChildProcess } from 'node:child_process'
import { $, type ProcessOutput, type ProcessPromise } from 'zx'
import { EXIT, InterruptedError, StepError } from './errors.mts'
import { redact, redactArgs } from './redact.mts'

export interface RunOptions {
  /** the step this call belongs to, named in errors */
  step: string
  /** true for calls that change anything; those are skipped under --dry-run */
  mutating?: boolean
  timeoutMs?: number
  /** extra attempts after a failure (for calls known to be flaky: pulls, pushes) */
  retries?: number
  retryDelayMs?: number
  input?: string
  /** extra environment; pass secrets here, never in args */
  env?: Record<string, string | undefined>
  cwd?: string
  /** resolve with the failed result instead of throwing */
  nothrow?: boolean
  /** the fix to print when this call fails */
  hint?: string
  /** what to answer under --dry-run for a mutating call */
  dryRunStdout?: string
}

export interface RunResult {
  stdout: string
  stderr: string
  exitCode: number
  ok: boolean
  dryRun: boolean
  durationMs: number
}

export interface StartOptions {
  step: string
  env?: Record<string, string | undefined>
  cwd?: string
}

export interface Started {
  child: ChildProcess
  command: string
  /** resolves when the process exits */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stop(): Promise<void>
}

export interface Runner {
  readonly dryRun: boolean
  readonly verbose: boolean
  /** every mutating command that was (or under dry-run would have been) run, redacted */
  readonly planned: string[]
  run(bin: string, args: readonly string[], opts: RunOptions): Promise<RunResult>
  /** long-running child (port-forward, log stream): tracked and killed on exit/Ctrl-C */
  start(bin: string, args: readonly string[], opts: StartOptions): Started
  /** kill every running child; used on Ctrl-C and on exit */
  killAll(): Promise<void>
  /** abort in-flight and future calls (Ctrl-C) */
  abort(): void
  readonly aborted: boolean
}

export interface RunnerOptions {
  dryRun?: boolean
  verbose?: boolean
  /** where echo lines go; default process.stderr */
  log?: (line: string) => void
  env?: NodeJS.ProcessEnv
}

export const INSTALL_HINTS: Record<string, string> = {
  docker: 'install Docker (https://docs.docker.com/engine/install/) and start the daemon',
  kind: 'install kind >= v0.27 (brew install kind, or https://kind.sigs.k8s.io/docs/user/quick-start/#installation)',
  kubectl: 'install kubectl (brew install kubectl, or https://kubernetes.io/docs/tasks/tools/)',
  helm: 'install helm v3 (brew install helm, or https://helm.sh/docs/intro/install/)',
  flux: 'install the flux CLI (brew install fluxcd/tap/flux, or https://fluxcd.io/flux/installation/)',
}

/** The last non-empty line of a command's output: what kubectl/docker/helm put their error in. */
export const lastLine = (s: string): string => s.trim().split('\n').filter(Boolean).at(-1) ?? ''

export function formatCommand(bin: string, args: readonly string[]): string {
  const q = (a: string) => (/^[\w@%+=:,./*-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)
  return [bin, ...redactArgs(args)].map(q).join(' ')
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export function createRunner(options: RunnerOptions = {}): Runner {
  const dryRun = options.dryRun ?? false
  const verbose = options.verbose ?? false
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const baseEnv = options.env ?? process.env
  const inflight = new Set<ProcessPromise>()
  const started = new Set<Started>()
  const planned: string[] = []
  let aborted = false

  async function once(bin: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
    const env = { ...baseEnv, ...opts.env } as NodeJS.ProcessEnv
    const t0 = Date.now()
    const p = $({
      quiet: true,
      verbose: false,
      nothrow: true,
      env,
      cwd: opts.cwd,
      input: opts.input,
      timeout: opts.timeoutMs,
      timeoutSignal: 'SIGTERM',
    })`${bin} ${args}`
    inflight.add(p)
    let out: ProcessOutput
    try {
      out = await p
    } finally {
      inflight.delete(p)
    }
    const exitCode = out.exitCode ?? (out.signal ? 128 + 15 : 1)
    return {
      stdout: out.stdout,
      stderr: out.stderr,
      exitCode,
      ok: exitCode === 0,
      dryRun: false,
      durationMs: Date.now() - t0,
      // zx reports a timeout as a signal with no exit code
      ...(out.exitCode === null && opts.timeoutMs ? { timedOut: true } : {}),
    }
  }

  function failure(bin: string, args: readonly string[], opts: RunOptions, r: RunResult & { timedOut?: boolean }): StepError {
    const command = formatCommand(bin, args)
    if (r.exitCode === 127 && /command not found|No such file/.test(r.stderr)) {
      return new StepError({ step: opts.step, message: `${bin} is not installed or not on PATH`, command, hint: INSTALL_HINTS[bin] ?? `install ${bin}`, exitCode: EXIT.missingTool })
    }
    const last = redact(r.stderr.trim() || r.stdout.trim()).split('\n').filter(Boolean).at(-1) ?? ''
    if (r.timedOut) {
      return new StepError({ step: opts.step, message: `timed out after ${Math.round((opts.timeoutMs ?? 0) / 1000)}s`, command, hint: opts.hint ?? 'raise the timeout or look at the diagnostics', exitCode: EXIT.timeout, details: redact(r.stderr) })
    }
    return new StepError({
      step: opts.step,
      message: `failed with exit code ${r.exitCode}${last ? `: ${last}` : ''}`,
      command,
      hint: opts.hint ?? 're-run with --verbose to see the full output',
      exitCode: EXIT.commandFailed,
      details: redact(`${r.stdout}\n${r.stderr}`.trim()),
    })
  }

  const runner: Runner = {
    dryRun,
    verbose,
    planned,
    get aborted() { return aborted },

    async run(bin, args, opts) {
      if (aborted) throw new InterruptedError(opts.step)
      const shown = formatCommand(bin, args)
      if (opts.mutating) planned.push(shown)
      if (dryRun && opts.mutating) {
        log(`[dry-run] ${shown}`)
        return { stdout: opts.dryRunStdout ?? '', stderr: '', exitCode: 0, ok: true, dryRun: true, durationMs: 0 }
      }
      if (verbose) log(`$ ${shown}`)
      const attempts = 1 + (opts.retries ?? 0)
      let delay = opts.retryDelayMs ?? 1000
      let result: RunResult & { timedOut?: boolean } = await once(bin, args, opts)
      for (let i = 1; i < attempts && !result.ok && !aborted; i++) {
        if (result.exitCode === 127) break
        if (verbose) log(`  attempt ${i}/${attempts - 1} failed (exit ${result.exitCode}); retrying in ${delay}ms`)
        await sleep(delay)
        delay = Math.min(delay * 2, 30_000)
        result = await once(bin, args, opts)
      }
      if (aborted) throw new InterruptedError(opts.step)
      if (verbose && result.stderr.trim()) log(redact(result.stderr.trimEnd()).replace(/^/gm, '  │ '))
      if (!result.ok && !opts.nothrow) throw failure(bin, args, opts, result)
      return result
    },

    start(bin, args, opts) {
      const command = formatCommand(bin, args)
      if (verbose) log(`$ ${command} &`)
      // Own process group, so stop() takes the whole tree down (kubectl port-forward has no children,
      // but wrappers like `sh -c` would).
      const child = spawn(bin, [...args], { cwd: opts.cwd, env: { ...baseEnv, ...opts.env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }))
        child.once('error', () => resolve({ code: 127, signal: null }))
      })
      const handle: Started = {
        child,
        command,
        exited,
        async stop() {
          started.delete(handle)
          if (child.exitCode !== null || child.signalCode !== null) return
          try { process.kill(-child.pid!, 'SIGTERM') } catch { /* already gone */ }
          const done = await Promise.race([exited.then(() => true), sleep(2000).then(() => false)])
          if (!done) { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } await exited }
        },
      }
      started.add(handle)
      void exited.then(() => started.delete(handle))
      return handle
    },

    async killAll() {
      await Promise.all([...started].map((s) => s.stop()))
      await Promise.all([...inflight].map(async (p) => { try { await p.kill('SIGTERM') } catch { /* gone */ } }))
    },

    abort() {
      aborted = true
    },
  }
  return runner
}
