// What the user asked promote to do, from its positionals and flags, in one place (usage errors exit 2 before
// anything runs):
//   <from> <to> [--digest d] [--skip-staging]    promote what <from> runs (asserting it is d)
//   --to <env> --digest <d>                      roll back or pin <env> to a digest
//   --undo <env>                                 back to the digest <env> ran before its last move
// Pure.

import { ALL_ENVIRONMENTS, type Environment } from '../shell/config.mts'
import { EXIT, StepError } from '../shell/errors.mts'
import { parseDigestInput } from './digest.mts'

export type DigestInput = { full?: string; prefix: string; text: string }

export type PromoteRequest =
  | { kind: 'promote'; from: Environment; to: Environment; digest?: DigestInput; skipStaging: boolean }
  | { kind: 'rollback'; to: Environment; digest: DigestInput }
  | { kind: 'undo'; to: Environment }

export interface RequestFlags {
  to?: string | undefined
  digest?: string | undefined
  undo?: string | undefined
  'skip-staging'?: boolean
}

const usage = (message: string, hint = 'see npx zx scripts/promote.mts --help') => new StepError({ step: 'flags', message, hint, exitCode: EXIT.usage })

function env(value: string, what: string): Environment {
  if ((ALL_ENVIRONMENTS as readonly string[]).includes(value)) return value as Environment
  throw usage(`${what} ${JSON.stringify(value)} is not an environment`, `one of ${ALL_ENVIRONMENTS.join(', ')}`)
}

function digest(text: string): DigestInput {
  const d = parseDigestInput(text)
  if (!d) throw usage(`--digest ${JSON.stringify(text)} is not a digest`, 'give sha256:<64 hex digits> (or a unique prefix of at least 7 hex digits, as status shows it)')
  return { ...d, text }
}

export function parseRequest(args: readonly string[], f: RequestFlags): PromoteRequest {
  const skipStaging = Boolean(f['skip-staging'])
  if (f.undo !== undefined) {
    if (args.length || f.to !== undefined || f.digest !== undefined || skipStaging) throw usage('--undo <env> stands alone: no <from> <to>, --to, --digest or --skip-staging with it')
    return { kind: 'undo', to: env(f.undo, '--undo') }
  }
  if (args.length === 0) {
    if (f.to === undefined) throw usage('nothing to promote: give <from> <to> (e.g. dev staging), --to <env> --digest <sha256:...>, or --undo <env>')
    if (f.digest === undefined) throw usage(`--to ${f.to} needs --digest <sha256:...> (to promote what an environment runs, give <from> <to>)`)
    if (skipStaging) throw usage('--skip-staging only applies to <from> <to>')
    return { kind: 'rollback', to: env(f.to, '--to'), digest: digest(f.digest) }
  }
  if (args.length !== 2) throw usage(`expected <from> <to> (two environments, e.g. dev staging), got ${args.length === 1 ? 'one' : args.length}: ${args.join(' ')}`)
  if (f.to !== undefined) throw usage('give the target once: either <from> <to> or --to <env>')
  const from = env(args[0]!, '<from>')
  const to = env(args[1]!, '<to>')
  if (from === to) throw usage(`<from> and <to> are both ${from}`)
  return { kind: 'promote', from, to, skipStaging, ...(f.digest !== undefined ? { digest: digest(f.digest) } : {}) }
}
