#!/usr/bin/env zx
// promote: move an environment to the apps artifact digest another one runs (dev -> staging -> production), roll
// one back to a digest (--to/--digest) or to its previous one (--undo). Shows the diff of the rendered objects,
// gates on the source's smoke + netpol checks, asks (or --yes), moves the tag, reconciles, waits, smokes.
import { runCommand } from './lib/shell/cli.mts'
import type { PromoteFlags } from './lib/promote/run.mts'

interface Flags extends PromoteFlags {
  to: string | undefined
  digest: string | undefined
  undo: string | undefined
  'skip-staging': boolean
  requests: number | undefined
  'max-error-rate': number | undefined
  'ready-timeout': number | undefined
}

await runCommand<Flags>({
  name: 'promote',
  lock: true,
  positionals: { name: '<from> <to>', max: 2 },
  summary: 'promote the apps artifact dev -> staging -> production by digest, with a diff and a gate; roll back',
  usage: '<from> <to> [--digest <sha256:...>] [--skip-staging] | --to <env> --digest <sha256:...> | --undo <env>  [--yes] [--dry-run]',
  description: `
Each environment runs the apps artifact (apps/, demo image pinned inside) at its own tag: sync moves dev,
promote moves the others. \`promote dev staging\` takes the digest dev RUNS (what Kustomization apps-dev last
applied), shows the diff of the rendered apps/overlays/staging between what staging runs and that digest, runs
the gate (smoke + netpol checks of dev must be green), asks, moves the tag staging (the digest it named is kept
as staging-previous), reconciles apps-staging, waits until it applied the digest (RECONCILE_TIMEOUT), and runs
the smoke checks of staging. One step at a time: dev -> production needs --skip-staging.
--digest with <from> <to> refuses (exit 4) unless <from> runs exactly that digest.
--to <env> --digest <d> rolls <env> to any digest the registry holds; --undo <env> goes back to <env>-previous
(twice in a row is a redo). Rollbacks have no gate: they must work when things are red.
FLUX_MODE=oci only (git and none have no per-environment artifact).`,
  flags: {
    to: { type: 'string', value: '<env>', description: 'with --digest: roll this environment to that digest' },
    digest: { type: 'string', value: '<sha256:...>', description: 'the digest (sha256:<64 hex>, or a unique prefix of at least 7 hex digits)' },
    undo: { type: 'string', value: '<env>', description: 'move this environment back to the digest it ran before its last move' },
    'skip-staging': { type: 'boolean', description: 'allow dev -> production (skipping staging) on purpose' },
    yes: { type: 'boolean', alias: 'y', description: 'do not ask for confirmation (required without a terminal, e.g. CI)' },
    requests: { type: 'number', value: '<n>', integer: true, min: 1, max: 100_000, description: 'smoke: /work calls per check (default 20)' },
    'max-error-rate': { type: 'number', value: '<0..1>', min: 0, max: 1, description: 'smoke: fail /work above this share of 5xx (default: FAIL_RATE plus a binomial margin)' },
    'ready-timeout': { type: 'number', value: '<seconds>', above: 0, max: 86_400, description: 'smoke: how long /readyz may take to turn 200 (default 60)' },
  },
  examples: [
    'npx zx scripts/promote.mts dev staging',
    'npx zx scripts/promote.mts dev staging --dry-run',
    'npx zx scripts/promote.mts staging production --yes --json',
    'npx zx scripts/promote.mts dev production --skip-staging',
    'npx zx scripts/promote.mts --to production --digest sha256:3f2a9c1d4e5f',
    'npx zx scripts/promote.mts --undo production',
  ],
  async run(ctx) {
    // loaded here, not at the top: --help needs none of it
    const [{ parseRequest }, { runPromote }] = await Promise.all([import('./lib/promote/request.mts'), import('./lib/promote/run.mts')])
    const f = ctx.flags
    // the numeric flags' bounds are checked by the flag parser (exit 2 before anything runs)
    const req = parseRequest(ctx.args, f)
    const rate = f['max-error-rate']
    const ready = f['ready-timeout']
    return runPromote(ctx, req, {
      ...(f.requests !== undefined ? { requests: f.requests } : {}),
      ...(rate !== undefined ? { maxErrorRate: rate } : {}),
      ...(ready !== undefined ? { readyTimeoutMs: ready * 1000 } : {}),
    })
  },
})
