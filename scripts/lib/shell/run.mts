// The one command wrapper every tool adapter uses. It is the only place that spawns processes.
// - verbose: echo each command (redacted) and its stderr to our stderr
// - dry-run: mutating calls are printed and recorded, not run; read-only queries still run
// - timeouts, retries with exponential backoff, and tracking of children so Ctrl-C can kill them all
// Every child runs in its own process group, and timeouts and Ctrl-C kill that group directly: zx's own kill()
// walks the process tree with `ps` spawned through a shell, which made Node print a DEP0190 warning, and a
// child that traps SIGTERM and exits 143 still counts as timed out because the timer, not the exit code, says so.

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
  /** killed because it ran past its time limit; stderr then ends with "timed out after Ns" */
  timedOut?: boolean
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

/**
 * The line of a command's output that says why it failed: the Docker daemon's own reason when there is one
 * (`docker run` ends with "Run 'docker run --help' for more information", `docker start` with "failed to start
 * containers: x"), otherwise the last non-empty line that is not a pointer to --help.
 */
export function lastLine(s: string): string {
  const lines = s.split('\n').map((l) => l.trim()).filter(Boolean)
  const daemon = lines.find((l) => l.includes('Error response from daemon:'))
  if (daemon) return daemon.replace(/^docker:\s*/, '')
  return lines.filter((l) => !/^(Run|See) '[^']+ --help'/.test(l)).at(-1) ?? ''
}

/**
 * How long an external call may run when the tool has its own deadline (`--timeout`, `--wait`): that deadline plus
 * a margin for the tool to notice and report it itself: a tenth of it, at least 1s and at most 30s.
 */
export function withMargin(ms: number): number {
  return ms + Math.min(30_000, Math.max(1_000, Math.ceil(ms / 10)))
}

/** "timed out after 90s" / "after 1.5s": the limit as a person reads it. */
export const timedOutAfter = (ms: number): string => `timed out after ${ms >= 10_000 || ms % 1000 === 0 ? Math.round(ms / 1000) : (ms / 1000).toFixed(1)}s`

/** What a `<tool> version` call saw: the version, or why there is none. A hang is not a missing tool. */
export interface VersionProbe {
  version?: string
  /** missing: not on PATH; hung: no answer within the limit; failed: answered with an error or no version */
  problem?: 'missing' | 'hung' | 'failed'
  /** one line for a person, e.g. "did not answer within 10s" */
  detail?: string
}

export function versionProbe(res: RunResult, version: string | undefined, timeoutMs: number): VersionProbe {
  if (version && res.ok) return { version }
  if (res.timedOut) return { problem: 'hung', detail: `did not answer within ${Math.round(timeoutMs / 1000)}s` }
  if (res.exitCode === 127 && /command not found|No such file|not found/.test(res.stderr)) return { problem: 'missing', detail: 'not found on PATH' }
  return { problem: 'failed', detail: res.ok ? 'printed no version' : `failed: ${lastLine(res.stderr) || `exit ${res.exitCode}`}` }
}

/** Kill a child's whole process group (it was spawned detached); a group already gone is fine. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return
  try { process.kill(-pid, signal) } catch { try { process.kill(pid, signal) } catch { /* gone */ } }
}

/** setTimeout fires at once for delays above 2^31-1 ms; longer limits are capped (24 days is no limit anyway). */
const MAX_TIMER_MS = 2 ** 31 - 1

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
    // zx runs the command through bash, and Node's pipes are sockets: a bash that thinks it is top-level (SHLVL unset,
    // as under cron, systemd or some CI) then takes itself for an rshd shell and sources ~/.bashrc on every call
    // (seen here: pyenv's rehash in root's .bashrc waiting 60s on a stale lock, every call)
    if (!env.SHLVL || env.SHLVL === '0') env.SHLVL = '1'
    const t0 = Date.now()
    const p = $({
      quiet: true,
      verbose: false,
      nothrow: true,
      env,
      cwd: opts.cwd,
      input: opts.input,
      detached: true,
    })`${bin} ${args}`
    inflight.add(p)
    let timedOut = false
    let killTimer: NodeJS.Timeout | undefined
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true
      killGroup(p.child?.pid, 'SIGTERM')
      killTimer = setTimeout(() => killGroup(p.child?.pid, 'SIGKILL'), 2000)
    }, Math.min(opts.timeoutMs, MAX_TIMER_MS))
    let out: ProcessOutput
    try {
      out = await p
    } finally {
      clearTimeout(timer)
      clearTimeout(killTimer)
      inflight.delete(p)
    }
    const exitCode = out.exitCode ?? (out.signal ? 128 + 15 : 1)
    return {
      stdout: out.stdout,
      // nothrow callers show the last stderr line: after a timeout that line says so
      stderr: timedOut ? `${out.stderr.trimEnd()}${out.stderr.trim() ? '\n' : ''}${timedOutAfter(opts.timeoutMs ?? 0)}\n` : out.stderr,
      exitCode,
      ok: exitCode === 0 && !timedOut,
      dryRun: false,
      durationMs: Date.now() - t0,
      ...(timedOut ? { timedOut: true } : {}),
    }
  }

  function failure(bin: string, args: readonly string[], opts: RunOptions, r: RunResult): StepError {
    const command = formatCommand(bin, args)
    if (r.exitCode === 127 && /command not found|No such file/.test(r.stderr)) {
      return new StepError({ step: opts.step, message: `${bin} is not installed or not on PATH`, command, hint: INSTALL_HINTS[bin] ?? `install ${bin}`, exitCode: EXIT.missingTool })
    }
    const last = redact(lastLine(r.stderr.trim() ? r.stderr : r.stdout))
    if (r.timedOut) {
      return new StepError({ step: opts.step, message: timedOutAfter(opts.timeoutMs ?? 0), command, hint: opts.hint ?? 'raise the timeout or look at the diagnostics', exitCode: EXIT.timeout, details: redact(`${r.stdout}\n${r.stderr}`.trim()) })
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
      let result: RunResult = await once(bin, args, opts)
      for (let i = 1; i < attempts && !result.ok && !aborted; i++) {
        if (result.exitCode === 127 || result.timedOut) break
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
      // each child leads its own process group: end the group (a shell's children too), never via zx's kill()
      await Promise.all([...inflight].map(async (p) => {
        killGroup(p.child?.pid, 'SIGTERM')
        const done = await Promise.race([p.then(() => true, () => true), sleep(2000).then(() => false)])
        if (!done) killGroup(p.child?.pid, 'SIGKILL')
      }))
    },

    abort() {
      aborted = true
    },
  }
  return runner
}
