// The one error type for expected failures, and the one table of exit codes.
// Entry points never call process.exit themselves: cli.mts maps errors to codes here.

export const EXIT = {
  ok: 0,
  /** a check or verification failed (smoke, netpol, validate, leftovers after down) */
  checkFailed: 1,
  /** bad flag, bad config value, bad input file */
  usage: 2,
  /** a required external tool is missing or too old */
  missingTool: 3,
  /** the environment is not in a state we may act on (busy port under strict policy, confirmation needed,
   * another run holds the run lock) */
  precondition: 4,
  /** an external command failed */
  commandFailed: 5,
  /** a wait ran out of time */
  timeout: 6,
  /** a bug: unexpected exception (stack trace printed) */
  internal: 70,
  /** interrupted by Ctrl-C (128 + SIGINT) */
  interrupted: 130,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export interface StepErrorInit {
  /** which step/check failed, e.g. "registry", "config", "smoke/readyz" */
  step: string
  /** one line: what went wrong */
  message: string
  /** one line: what the user should do next */
  hint?: string
  /** the command that failed, already redacted */
  command?: string
  exitCode?: ExitCode
  /** captured output of the failing command (redacted), shown under --verbose */
  details?: string
  cause?: unknown
}

export class StepError extends Error {
  readonly step: string
  readonly hint: string | undefined
  readonly command: string | undefined
  readonly exitCode: ExitCode
  readonly details: string | undefined

  constructor(init: StepErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.name = 'StepError'
    this.step = init.step
    this.hint = init.hint
    this.command = init.command
    this.exitCode = init.exitCode ?? EXIT.commandFailed
    this.details = init.details
  }
}

export const isStepError = (e: unknown): e is StepError => e instanceof StepError

/** The user-facing one-liner for an expected failure: `✖ <step>: <message> — <hint>` (no stack). */
export function formatFailure(e: StepError): string {
  const cmd = e.command ? ` [${e.command}]` : ''
  const hint = e.hint ? ` — ${e.hint}` : ''
  return `✖ ${e.step}: ${e.message}${cmd}${hint}`
}

/** Ctrl-C: a distinct type so callers can let it pass through their own catch blocks. */
export class InterruptedError extends StepError {
  constructor(step = 'interrupted') {
    super({ step, message: 'interrupted by Ctrl-C', hint: 'state is consistent; re-run the command to continue', exitCode: EXIT.interrupted })
    this.name = 'InterruptedError'
  }
}
