// Progress and messages for people. Everything goes to stderr; stdout is reserved for results (--json, reports).
// On an interactive terminal: one ora spinner showing every running step with its elapsed time.
// Otherwise (pipe, CI): plain timestamped lines, one when a step starts and one when it ends.

import { createRequire } from 'node:module'
import type { Ora } from 'ora'
import { colorEnabled, paint } from './color.mts'
import { redact } from './redact.mts'

export type StepStatus = 'ok' | 'failed' | 'skipped'

export interface StepTiming {
  title: string
  status: StepStatus
  ms: number
  note?: string
}

export interface StepHandle {
  /** replace the live detail text (e.g. "waiting on apps-dev: dependency infra-configs not ready") */
  update(detail: string): void
  /** a line that stays in the log */
  note(line: string): void
  /** finish as skipped with a reason instead of ok */
  skip(reason: string): void
}

export interface Ui {
  readonly interactive: boolean
  readonly color: boolean
  readonly timings: StepTiming[]
  step<T>(title: string, fn: (s: StepHandle) => Promise<T>): Promise<T>
  info(line: string): void
  warn(line: string): void
  success(line: string): void
  error(line: string): void
  /** pause the spinner while fn writes to the terminal directly (prompts, inherited stdio) */
  pause<T>(fn: () => Promise<T>): Promise<T>
  stop(): void
}

export interface UiOptions {
  stream?: NodeJS.WriteStream
  env?: NodeJS.ProcessEnv
  /** suppress start lines (e.g. --json); results still go to stdout */
  quiet?: boolean
  now?: () => number
}

// ora (and its dependencies) only on a terminal, when the first spinner starts: logs and CI never load it
const require = createRequire(import.meta.url)
const loadOra = () => (require('ora') as typeof import('ora')).default

// from a minute on, whole seconds: rounded once, so 179.6s reads 3m0s, not 2m60s
export const formatMs = (ms: number): string => (ms < 1000 ? `${ms}ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(Math.round(ms / 1000) / 60)}m${Math.round(ms / 1000) % 60}s`)

export function isInteractiveOutput(stream: { isTTY?: boolean } = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  // ora's own rule, made explicit: any CI variable (even CI=false) means logs, not animation.
  return Boolean(stream.isTTY) && env.TERM !== 'dumb' && !('CI' in env)
}

export function createUi(options: UiOptions = {}): Ui {
  const stream = options.stream ?? process.stderr
  const env = options.env ?? process.env
  const now = options.now ?? Date.now
  const interactive = isInteractiveOutput(stream, env)
  const color = colorEnabled(stream, env)
  const timings: StepTiming[] = []
  const active = new Map<number, { title: string; t0: number; detail: string }>()
  let nextId = 0
  let spinner: Ora | undefined
  let ticker: NodeJS.Timeout | undefined

  const stamp = () => new Date(now()).toISOString().slice(11, 19)
  const write = (line: string) => {
    const text = redact(line)
    if (spinner?.isSpinning) { spinner.clear(); stream.write(`${text}\n`); spinner.render() } else stream.write(`${text}\n`)
  }
  const plain = (symbol: string, line: string) => write(interactive ? `${symbol} ${line}` : `${stamp()} ${symbol} ${line}`)

  const spinnerText = () => [...active.values()].map((a) => `${a.title} ${paint.dim(color, `(${formatMs(now() - a.t0)})`)}${a.detail ? paint.dim(color, ` ${a.detail}`) : ''}`).join(paint.dim(color, ' | '))

  function refresh() {
    if (!interactive) return
    if (active.size === 0) {
      if (ticker) clearInterval(ticker)
      ticker = undefined
      spinner?.stop()
      return
    }
    if (!spinner) spinner = loadOra()({ stream, isEnabled: true, discardStdin: false, color: color ? 'cyan' : false })
    spinner.text = redact(spinnerText())
    if (!spinner.isSpinning) spinner.start()
    if (!ticker) { ticker = setInterval(() => { if (spinner) spinner.text = redact(spinnerText()) }, 1000); ticker.unref() }
  }

  const ui: Ui = {
    interactive,
    color,
    timings,
    async step(title, fn) {
      const id = nextId++
      const entry = { title, t0: now(), detail: '' }
      active.set(id, entry)
      if (!interactive && !options.quiet) plain(paint.cyan(color, '▶'), title)
      refresh()
      let skipped: string | undefined
      const handle: StepHandle = {
        update(detail) {
          entry.detail = detail
          if (interactive) refresh()
          else if (!options.quiet) plain(' ', `${title}: ${detail}`)
        },
        note(line) { plain(' ', line) },
        skip(reason) { skipped = reason },
      }
      try {
        const result = await fn(handle)
        const ms = now() - entry.t0
        active.delete(id)
        refresh()
        if (skipped !== undefined) {
          timings.push({ title, status: 'skipped', ms, note: skipped })
          plain(paint.dim(color, '○'), `${title} ${paint.dim(color, `skipped: ${skipped}`)}`)
        } else {
          timings.push({ title, status: 'ok', ms })
          plain(paint.green(color, '✔'), `${title} ${paint.dim(color, `(${formatMs(ms)})`)}`)
        }
        return result
      } catch (e) {
        const ms = now() - entry.t0
        active.delete(id)
        refresh()
        timings.push({ title, status: 'failed', ms })
        plain(paint.red(color, '✖'), `${title} ${paint.dim(color, `(${formatMs(ms)})`)}`)
        throw e
      }
    },
    info(line) { plain(paint.cyan(color, 'ℹ'), line) },
    warn(line) { plain(paint.yellow(color, '⚠'), line) },
    success(line) { plain(paint.green(color, '✔'), line) },
    error(line) { plain(paint.red(color, '✖'), line) },
    async pause(fn) {
      const wasSpinning = spinner?.isSpinning
      if (wasSpinning) spinner!.stop()
      try { return await fn() } finally { if (wasSpinning) refresh() }
    },
    stop() {
      if (ticker) clearInterval(ticker)
      ticker = undefined
      spinner?.stop()
      active.clear()
    },
  }
  return ui
}

/** A plain text table (no borders) for summaries and doctor output. */
export function renderTable(headers: string[], rows: string[][]): string {
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length
  const widths = headers.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))))
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - visible(s)))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!))).join('  ').trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}
