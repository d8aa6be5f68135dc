// What every entry point shares: flags and --help, config loading, progress UI, the runner,
// and the ONE place where errors become exit codes and one-line messages.
// Start-up: `--help` needs only the flag table, so config (dotenv, yaml), the runner and the UI (ora) are
// imported once a command really runs, after the compile cache is on (compile-cache.mts comes first).

import './compile-cache.mts'
import path from 'node:path'
import { minimist } from 'zx'
import type { Config } from './config.mts'
import { EXIT, formatFailure, InterruptedError, isStepError, StepError } from './errors.mts'
import { redact } from './redact.mts'
import type { Runner } from './run.mts'
import type { Ui } from './ui.mts'

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
}

export interface CommandSpec<F extends FlagValues = FlagValues> {
  name: string
  summary: string
  /** usage line after `npx zx scripts/<name>.mts` */
  usage?: string
  description?: string
  flags?: Record<string, FlagSpec>
  examples?: string[]
  /** global flags this command does not support (e.g. a command without --dry-run) */
  without?: ('dry-run' | 'json')[]
  /** false for commands that must work without a valid config (none so far) */
  needsConfig?: boolean
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

export function renderHelp(spec: CommandSpec<any>): string {
  const flags = allFlags(spec)
  const rows = Object.entries(flags).map(([name, f]) => {
    const left = `${f.alias ? `-${f.alias}, ` : '    '}--${name}${f.type === 'boolean' ? '' : ` ${f.value ?? `<${f.type === 'number' ? 'n' : 'value'}>`}`}`
    const extra = [f.choices ? `one of: ${f.choices.join(', ')}` : '', f.default !== undefined && f.type !== 'boolean' ? `default: ${f.default}` : ''].filter(Boolean).join('; ')
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
    '3 missing tool, 4 precondition (busy port, confirmation needed), 5 command failed, 6 timeout, 130 interrupted.')
  return `${lines.join('\n')}\n`
}

/** Parse argv strictly: unknown flags and bad values are usage errors naming the flag. */
export function parseFlags(spec: CommandSpec<any>, argv: string[]): { flags: FlagValues; args: string[] } {
  const flags = allFlags(spec)
  const boolean = Object.entries(flags).filter(([, f]) => f.type === 'boolean').map(([k]) => k)
  const string = Object.entries(flags).filter(([, f]) => f.type !== 'boolean').map(([k]) => k)
  const alias = Object.fromEntries(Object.entries(flags).filter(([, f]) => f.alias).map(([k, f]) => [f.alias!, k]))
  const known = new Set([...Object.keys(flags), ...Object.keys(alias)])
  const usage = (message: string) => new StepError({ step: 'flags', message, hint: `see npx zx scripts/${spec.name}.mts --help`, exitCode: EXIT.usage })
  const parsed = minimist(argv, {
    boolean,
    string,
    alias,
    unknown: (a: string) => {
      if (!a.startsWith('-')) return true
      const name = a.replace(/^--?(no-)?/, '').split('=')[0]!
      if (!known.has(name)) throw usage(`unknown flag ${a.split('=')[0]}`)
      return true
    },
  })
  const out: FlagValues = {}
  for (const [name, f] of Object.entries(flags)) {
    let v = parsed[name] as unknown
    if (f.type === 'boolean') { out[name] = v === undefined ? (f.default as boolean | undefined) ?? false : Boolean(v); continue }
    if (v === undefined || v === '') { out[name] = f.default as never; continue }
    if (Array.isArray(v) && !f.multiple) v = v.at(-1)
    if (f.multiple) { out[name] = (Array.isArray(v) ? v : [v]).map(String).flatMap((s) => s.split(',')).filter(Boolean); continue }
    if (f.type === 'number') {
      const n = Number(v)
      if (!Number.isFinite(n)) throw usage(`--${name} ${String(v)} is not a number`)
      out[name] = n
      continue
    }
    if (f.choices && !f.choices.includes(String(v))) throw usage(`--${name} ${String(v)} is not one of ${f.choices.join(', ')}`)
    out[name] = String(v)
  }
  return { flags: out, args: (parsed._ as unknown[]).map(String) }
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
  let finished = false

  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try { await fn() } catch { /* cleanup must not mask the real error */ }
    }
    await runner?.killAll()
    ui?.stop()
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
    const { flags, args } = parseFlags(spec, argv)
    if (flags.help) {
      process.stdout.write(renderHelp(spec))
      code = EXIT.ok
    } else {
      const [{ loadConfig, REPO_ROOT }, { createRunner }, { createUi }, { stateDir }] = await Promise.all([
        import('./config.mts'), import('./run.mts'), import('./ui.mts'), import('./state.mts'),
      ])
      const root = options.root ?? REPO_ROOT
      const config = loadConfig({ env, root })
      const json = Boolean(flags.json)
      runner = createRunner({ dryRun: Boolean(flags['dry-run']), verbose: Boolean(flags.verbose), env })
      ui = createUi({ env })
      const ctx: Context<F> = {
        flags: flags as F,
        args,
        config,
        runner,
        ui,
        root,
        stateDir: stateDir(root, config.stateDir),
        json,
        verbose: Boolean(flags.verbose),
        dryRun: Boolean(flags['dry-run']),
        signal: controller.signal,
        onCleanup: (fn) => { cleanups.push(fn) },
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
