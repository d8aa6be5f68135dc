// What every entry point shares: flags and --help, config loading, progress UI, the runner,
// and the ONE place where errors become exit codes and one-line messages.
// Start-up: `--help` needs only the flag table, so config (dotenv, yaml), the runner and the UI (ora) are
// imported once a command really runs, after the compile cache is on (compile-cache.mts comes first).

import './compile-cache.mts'
import os from 'node:os'
import path from 'node:path'
import { minimist } from 'zx'
import type { Config } from './config.mts'
import { EXIT, formatFailure, InterruptedError, isStepError, StepError } from './errors.mts'
import { redact } from './redact.mts'
import type { Runner } from './run.mts'
import type { Ui } from './ui.mts'
import type { RunLock } from './lock.mts'

export type FlagType = 'boolean' | 'string' | 'number'

export interface FlagSpec {
  type: FlagType
  description: string
  alias?: string
  default?: string | number | boolean
  /** shown in --help as the value placeholder, e.g. "<seconds>" */
  value?: string
  /** allowed values for string flags */
  choices?: readonly string[]
  /** may be given several times (string flags): value becomes string[] */
  multiple?: boolean
  /** number flags: bounds, named in the usage error (`--requests must be >= 1, got -5`) */
  min?: number
  max?: number
  /** number flags: the value must be greater than this (e.g. 0 for a duration) */
  above?: number
  /** number flags: the value must be less than this */
  below?: number
  integer?: boolean
}

/** Positional arguments a command takes; commands without this take none. */
export interface PositionalSpec {
  /** shown in errors, e.g. "<root>" */
  name: string
  /** default 1 */
  max?: number
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>

export interface Context<F extends FlagValues = FlagValues> {
  flags: F
  /** positional arguments */
  args: string[]
  config: Config
  runner: Runner
  ui: Ui
  root: string
  stateDir: string
  json: boolean
  verbose: boolean
  dryRun: boolean
  /** aborted on Ctrl-C */
  signal: AbortSignal
  /** run on exit, also after Ctrl-C (stop port-forwards, flush state) */
  onCleanup(fn: () => Promise<void> | void): void
  /** the run lock this command holds (CommandSpec.lock, not under --dry-run); released after cleanup */
  lock?: RunLock
}

export interface CommandSpec<F extends FlagValues = FlagValues> {
  name: string
  summary: string
  /** usage line after `npx zx scripts/<name>.mts` */
  usage?: string
  description?: string
  flags?: Record<string, FlagSpec>
  examples?: string[]
  /** positional arguments it takes (none when absent: any is a usage error) */
  positionals?: PositionalSpec
  /** global flags this command does not support (e.g. a command without --dry-run) */
  without?: ('dry-run' | 'json')[]
  /** false for commands that must work without a valid config (none so far) */
  needsConfig?: boolean
  /**
   * true for commands that change the platform (up, down, sync, ...): they hold the state dir's run lock
   * (lock.mts) from before their first external call until after their cleanup, and refuse to start (exit 4)
   * while another run holds it. --dry-run changes nothing and takes no lock; it warns when a run is active.
   */
  lock?: boolean
  run(ctx: Context<F>): Promise<number | void>
}

export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  help: { type: 'boolean', alias: 'h', description: 'print this help and exit' },
  verbose: { type: 'boolean', alias: 'v', description: 'echo every external command (secrets redacted) and show stack traces' },
  'dry-run': { type: 'boolean', description: 'print the commands that would change anything instead of running them (read-only queries still run)' },
  json: { type: 'boolean', description: 'machine-readable result on stdout (logs stay on stderr)' },
}

function allFlags(spec: CommandSpec<any>): Record<string, FlagSpec> {
  const globals = Object.fromEntries(Object.entries(GLOBAL_FLAGS).filter(([k]) => !(spec.without ?? []).includes(k as never)))
  return { ...globals, ...(spec.flags ?? {}) }
}

/** "whole number, 1 to 100000" for --help; '' for flags without bounds. */
function boundsText(f: FlagSpec): string {
  const low = f.min !== undefined ? `>= ${f.min}` : f.above !== undefined ? `> ${f.above}` : ''
  const high = f.max !== undefined ? `<= ${f.max}` : f.below !== undefined ? `< ${f.below}` : ''
  const range = f.min !== undefined && f.max !== undefined ? `${f.min} to ${f.max}` : [low, high].filter(Boolean).join(', ')
  return [f.integer ? 'whole number' : '', range].filter(Boolean).join(', ')
}

export function renderHelp(spec: CommandSpec<any>): string {
  const flags = allFlags(spec)
  const rows = Object.entries(flags).map(([name, f]) => {
    const left = `${f.alias ? `-${f.alias}, ` : '    '}--${name}${f.type === 'boolean' ? '' : ` ${f.value ?? `<${f.type === 'number' ? 'n' : 'value'}>`}`}`
    const extra = [f.choices ? `one of: ${f.choices.join(', ')}` : '', f.default !== undefined && f.type !== 'boolean' ? `default: ${f.default}` : '', boundsText(f)].filter(Boolean).join('; ')
    return [left, `${f.description}${extra ? ` (${extra})` : ''}`] as const
  })
  const width = Math.max(...rows.map(([l]) => l.length))
  const lines = [
    `${spec.name}: ${spec.summary}`,
    '',
    'Usage:',
    `  npx zx scripts/${spec.name}.mts ${spec.usage ?? '[flags]'}`,
  ]
  if (spec.description) lines.push('', ...spec.description.trim().split('\n').map((l) => `  ${l}`.trimEnd()))
  lines.push('', 'Flags:', ...rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`))
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`))
  lines.push('', 'Configuration: environment > .env > defaults; see .env.example. Exit codes: 0 ok, 1 check failed, 2 usage/config,',
    '3 missing tool, 4 precondition (busy port, confirmation needed, another run holds the lock), 5 command failed, 6 timeout,',
    '70 bug, 130 interrupted.')
  return `${lines.join('\n')}\n`
}

const NEGATIVE_NUMBER = /^-(\d+\.?\d*|\.\d+)$/
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/

/** The bound a number breaks, as the usage error says it; undefined when it is within them. */
export function numberProblem(f: FlagSpec, n: number): string | undefined {
  if (f.integer && !Number.isInteger(n)) return 'must be a whole number'
  if (f.min !== undefined && n < f.min) return `must be >= ${f.min}`
  if (f.above !== undefined && !(n > f.above)) return `must be > ${f.above}`
  if (f.max !== undefined && n > f.max) return `must be <= ${f.max}`
  if (f.below !== undefined && !(n < f.below)) return `must be < ${f.below}`
  return undefined
}

/**
 * Parse argv strictly: unknown flags, flags that take a value and get none (`--only`, `--only=`, `--only --yes`),
 * numbers out of their declared bounds and positional arguments a command does not take are usage errors naming
 * the flag. A negative number after a flag is its value (`--requests -5`), not another flag.
 */
export function parseFlags(spec: CommandSpec<any>, argv: string[]): { flags: FlagValues; args: string[] } {
  const flags = allFlags(spec)
  const boolean = Object.entries(flags).filter(([, f]) => f.type === 'boolean').map(([k]) => k)
  const string = Object.entries(flags).filter(([, f]) => f.type !== 'boolean').map(([k]) => k)
  const alias = Object.fromEntries(Object.entries(flags).filter(([, f]) => f.alias).map(([k, f]) => [f.alias!, k]))
  const known = new Set([...Object.keys(flags), ...Object.keys(alias)])
  const usage = (message: string) => new StepError({ step: 'flags', message, hint: `see npx zx scripts/${spec.name}.mts --help`, exitCode: EXIT.usage })
  const placeholder = (name: string) => flags[name]!.value ?? (flags[name]!.type === 'number' ? '<n>' : '<value>')

  // minimist would take `--only --yes` as an empty --only and `-5` as a flag named 5: settle values first.
  const tokens: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!
    if (tok === '--') { tokens.push(...argv.slice(i)); break }
    const m = NEGATIVE_NUMBER.test(tok) ? null : /^(--?)([^=]+)(=(.*))?$/.exec(tok)
    // grouped short flags (-yv) and attached values (-c5) are minimist's to read
    const short = m?.[1] === '-'
    const name = !m ? undefined : short ? alias[m[2]!] : m[2]!
    if (!name || !flags[name] || flags[name]!.type === 'boolean') { tokens.push(tok); continue }
    const shown = tok.split('=')[0]!
    const needsValue = (got = '') => usage(`${shown} needs a value: ${shown} ${placeholder(name)}${got}`)
    if (m![3] !== undefined) {
      if (m![4] === '') throw needsValue()
      tokens.push(tok)
      continue
    }
    const next = argv[i + 1]
    if (next === undefined || next === '' || next === '--') throw needsValue()
    if (next.startsWith('-') && next !== '-' && !NEGATIVE_NUMBER.test(next)) throw needsValue(` (got the flag ${next}; a value that starts with - is written ${shown}=${next})`)
    tokens.push(`--${name}=${next}`)
    i++
  }

  const parsed = minimist(tokens, {
    boolean,
    string,
    alias,
    unknown: (a: string) => {
      if (!a.startsWith('-') || a === '-') return true
      const name = a.replace(/^--?(no-)?/, '').split('=')[0]!
      if (!known.has(name)) throw usage(`unknown flag ${a.split('=')[0]}`)
      return true
    },
  })
  const out: FlagValues = {}
  for (const [name, f] of Object.entries(flags)) {
    let v = parsed[name] as unknown
    if (f.type === 'boolean') { out[name] = v === undefined ? (f.default as boolean | undefined) ?? false : Boolean(v); continue }
    if (v === undefined) { out[name] = f.default as never; continue }
    if (Array.isArray(v) && !f.multiple) v = v.at(-1)
    if (f.multiple) {
      const list = (Array.isArray(v) ? v : [v]).map(String).flatMap((x) => x.split(',')).map((x) => x.trim())
      if (list.some((x) => x === '')) throw usage(`--${name} needs a value: --${name} ${placeholder(name)}`)
      out[name] = list
      continue
    }
    if (f.type === 'number') {
      const raw = String(v).trim()
      const n = Number(raw)
      if (!DECIMAL.test(raw) || !Number.isFinite(n)) throw usage(`--${name} ${String(v)} is not a number`)
      const problem = numberProblem(f, n)
      if (problem) throw usage(`--${name} ${problem}, got ${raw}`)
      out[name] = n
      continue
    }
    if (f.choices && !f.choices.includes(String(v))) throw usage(`--${name} ${String(v)} is not one of ${f.choices.join(', ')}`)
    out[name] = String(v)
  }
  const args = (parsed._ as unknown[]).map(String)
  const max = spec.positionals ? spec.positionals.max ?? 1 : 0
  if (args.length > max) {
    throw usage(max === 0
      ? `unexpected argument ${JSON.stringify(args[0])}: ${spec.name} takes no positional arguments`
      : `too many arguments (${args.length}): ${spec.name} takes at most ${max} ${spec.positionals!.name}`)
  }
  return { flags: out, args }
}

/** --help anywhere before `--` wins over every other flag, valid or not. */
const wantsHelp = (argv: string[]): boolean => {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')
}

/** argv after the script path, whether run as `npx zx scripts/x.mts ...` or `node scripts/x.mts ...`. */
export function scriptArgs(argv: string[] = process.argv): string[] {
  const i = argv.findIndex((a, idx) => idx >= 1 && /\.m?[jt]s$/.test(a) && !a.includes(`${path.sep}node_modules${path.sep}`) && !/(^|\/)zx$/.test(a))
  return i === -1 ? argv.slice(2) : argv.slice(i + 1)
}

export interface RunCommandOptions {
  argv?: string[]
  env?: NodeJS.ProcessEnv
  root?: string
  /** do not call process.exit (tests) */
  exit?: boolean
}

export async function runCommand<F extends FlagValues>(spec: CommandSpec<F>, options: RunCommandOptions = {}): Promise<number> {
  const argv = options.argv ?? scriptArgs()
  const env = options.env ?? process.env
  const verboseRequested = argv.includes('--verbose') || argv.includes('-v')
  const cleanups: (() => Promise<void> | void)[] = []
  const controller = new AbortController()
  let ui: Ui | undefined
  let runner: Runner | undefined
  let lock: RunLock | undefined
  let finished = false

  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try { await fn() } catch { /* cleanup must not mask the real error */ }
    }
    await runner?.killAll()
    ui?.stop()
    // last: no child of ours may still be changing the platform when the next run starts
    lock?.release()
  }

  const onSigint = async () => {
    if (finished) return
    finished = true
    controller.abort()
    runner?.abort()
    ui?.stop()
    process.stderr.write(`\n${formatFailure(new InterruptedError(spec.name))}\n`)
    await cleanup()
    process.exit(EXIT.interrupted)
  }
  process.once('SIGINT', onSigint)
  process.once('SIGTERM', onSigint)

  let code: number
  try {
    const help = wantsHelp(argv)
    const { flags, args } = help ? { flags: { help: true } as FlagValues, args: [] } : parseFlags(spec, argv)
    if (flags.help) {
      process.stdout.write(renderHelp(spec))
      code = EXIT.ok
    } else {
      const [{ loadConfigReport, REPO_ROOT }, { createRunner }, { createUi }, { stateDir }, { acquireLock, activeHolder }, { checkStateDir }, { trackedFiles }] = await Promise.all([
        import('./config.mts'), import('./run.mts'), import('./ui.mts'), import('./state.mts'), import('./lock.mts'), import('./state-dir.mts'),
        // the one adapter the runtime itself needs: which files git tracks (STATE_DIR must hold none)
        import('../tools/git.mts'),
      ])
      const root = options.root ?? REPO_ROOT
      const out = createUi({ env })
      ui = out
      const { config } = loadConfigReport({ env, root, onWarning: (w) => out.warn(w) })
      const json = Boolean(flags.json)
      const dryRun = Boolean(flags['dry-run'])
      runner = createRunner({ dryRun, verbose: Boolean(flags.verbose), env })
      const dir = stateDir(root, config.stateDir)
      const u = ui
      await checkStateDir({ configured: config.stateDir, dir, root, home: env.HOME || os.homedir(), tracked: (d) => trackedFiles(runner!, d), warn: (l) => u.warn(l) })
      if (spec.lock && !dryRun) lock = acquireLock(dir, spec.name, { warn: (l) => u.warn(l) })
      else if (spec.lock) {
        const holder = activeHolder(dir)
        if (holder) u.warn(`${holder} is changing this platform right now: this plan may be out of date when it finishes`)
      }
      const ctx: Context<F> = {
        flags: flags as F,
        args,
        config,
        runner,
        ui,
        root,
        stateDir: dir,
        json,
        verbose: Boolean(flags.verbose),
        dryRun,
        signal: controller.signal,
        onCleanup: (fn) => { cleanups.push(fn) },
        ...(lock ? { lock } : {}),
      }
      const result = await spec.run(ctx)
      code = typeof result === 'number' ? result : EXIT.ok
    }
  } catch (e) {
    // After Ctrl-C the SIGINT handler owns the exit; the aborted work's error is expected noise.
    code = finished ? EXIT.interrupted : reportError(e, verboseRequested)
  }
  if (finished) return EXIT.interrupted
  finished = true
  await cleanup()
  process.removeListener('SIGINT', onSigint)
  process.removeListener('SIGTERM', onSigint)
  if (options.exit !== false) {
    process.exitCode = code
    // Let stdout drain (reports piped to files), then exit even if a stray handle is open.
    setTimeout(() => process.exit(code), 50).unref()
  }
  return code
}

export function reportError(e: unknown, verbose: boolean): number {
  if (isStepError(e)) {
    process.stderr.write(`${redact(formatFailure(e))}\n`)
    if (verbose) {
      if (e.details) process.stderr.write(`${redact(e.details)}\n`)
      if (e.stack) process.stderr.write(`${redact(e.stack)}\n`)
    }
    return e.exitCode
  }
  const message = e instanceof Error ? e.message : String(e)
  process.stderr.write(`${redact(`✖ internal error: ${message}`)}${verbose ? '' : ' (re-run with --verbose for the stack trace; this is a bug, please report it)'}\n`)
  if (verbose && e instanceof Error && e.stack) process.stderr.write(`${redact(e.stack)}\n`)
  return EXIT.internal
}

/** Print a machine-readable result to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${redact(JSON.stringify(value, null, 2))}\n`)
}
