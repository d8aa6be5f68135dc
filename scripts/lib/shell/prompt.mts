// enquirer prompts, only ever on a terminal. Without one, the answer must come from a flag:
// enquirer hangs on an open empty pipe and exits silently on a closed stdin, so we never reach it there.

import readline from 'node:readline'
import { EXIT, InterruptedError, StepError } from './errors.mts'

export function canPrompt(stdin: { isTTY?: boolean } = process.stdin, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stdin.isTTY) && !env.CI
}

export interface PromptBase {
  step: string
  message: string
  /** the flag that answers this prompt non-interactively, e.g. "--yes" */
  flag: string
}

function needFlag(p: PromptBase): never {
  throw new StepError({
    step: p.step,
    message: `needs confirmation but stdin is not a terminal: ${p.message}`,
    hint: `re-run with ${p.flag} to answer without a prompt`,
    exitCode: EXIT.precondition,
  })
}

// enquirer 2.4.1 on Node 24: Ctrl-C makes enquirer's own readline interface close itself (no SIGINT listener),
// then enquirer calls pause() on it, which throws ERR_USE_AFTER_CLOSE and crashes the process with a stack
// trace. A no-op SIGINT listener keeps the interface open so enquirer's own Ctrl-C handling (cancel) runs.
// Patched only while a prompt is open.
function withSigintSafeReadline<T>(fn: () => Promise<T>): Promise<T> {
  const rl = readline as unknown as { createInterface: (...a: unknown[]) => readline.Interface }
  const original = rl.createInterface
  rl.createInterface = (...a: unknown[]) => {
    const iface = original.apply(readline, a)
    iface.on('SIGINT', () => {})
    return iface
  }
  return fn().finally(() => { rl.createInterface = original })
}

// enquirer rejects with an empty string (not an Error) when the user presses Ctrl-C or Esc.
async function ask<T>(step: string, question: Record<string, unknown>): Promise<T> {
  try {
    // enquirer is loaded by the first prompt: most runs never ask anything
    const { default: Enquirer } = await import('enquirer')
    const answers = (await withSigintSafeReadline(() => Enquirer.prompt({ name: 'value', stdout: process.stderr, ...question } as never))) as { value: T }
    return answers.value
  } catch (e) {
    if (e === '' || e === undefined) throw new InterruptedError(step)
    throw e
  }
}

export async function confirm(p: PromptBase & { initial?: boolean }): Promise<boolean> {
  if (!canPrompt()) needFlag(p)
  return ask<boolean>(p.step, { type: 'confirm', message: p.message, initial: p.initial ?? false })
}

export interface Choice {
  name: string
  message?: string
  hint?: string
  enabled?: boolean
}

export async function multiselect(p: PromptBase & { choices: Choice[] }): Promise<string[]> {
  if (!canPrompt()) needFlag(p)
  const initial = p.choices.filter((c) => c.enabled).map((c) => c.name)
  return ask<string[]>(p.step, {
    type: 'multiselect',
    message: p.message,
    choices: p.choices.map((c) => ({ name: c.name, message: c.message ?? c.name, hint: c.hint })),
    initial,
    hint: '(space to toggle, enter to confirm)',
  })
}

export async function select(p: PromptBase & { choices: Choice[]; initial?: string }): Promise<string> {
  if (!canPrompt()) needFlag(p)
  return ask<string>(p.step, { type: 'select', message: p.message, choices: p.choices.map((c) => ({ name: c.name, message: c.message ?? c.name, hint: c.hint })), initial: p.initial })
}
