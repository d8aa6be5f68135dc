// What promote will do, or why it refuses, from what the cluster and the registry say. Pure.
//  - what an environment RUNS is what its Kustomization last applied (status.lastAppliedRevision), not where its
//    tag points: a tag sync just moved may not be applied yet, or may have failed to apply;
//  - promotion goes up the ladder (dev -> staging -> production) one step at a time; skipping staging is allowed
//    only when asked for (--skip-staging);
//  - a promotion moves exactly the digest the source runs (--digest only asserts which one);
//  - rollback (--to/--digest) and --undo have no source environment, so no gate: they must work when things are red.

import type { Environment } from '../shell/config.mts'
import { EXIT, StepError } from '../shell/errors.mts'
import { appsSource, ladder, previousTag } from '../flux/apps-artifact.mts'
import { digestOf, resolveDigest, shortDigest } from './digest.mts'
import type { MoveRecord } from './history.mts'
import type { DigestInput, PromoteRequest } from './request.mts'

type Obj = Record<string, any>

export interface Running {
  /** the apps-<env> Kustomization exists */
  exists: boolean
  /** it reads the apps artifact at this environment's tag (OCIRepository apps-<env>); false on a platform an
   * older `up` built, whose environments all read the one `platform` artifact */
  ownSource: boolean
  /** digest of status.lastAppliedRevision */
  digest?: string
  revision?: string
  ready: boolean
  message?: string
}

/** What each environment runs, from the Flux Kustomizations apps-<env> (flux-system). */
export function runningByEnv(kustomizations: Obj[], environments: readonly Environment[]): Partial<Record<Environment, Running>> {
  const out: Partial<Record<Environment, Running>> = {}
  for (const env of environments) {
    const ks = kustomizations.find((o) => o?.metadata?.name === appsSource(env))
    if (!ks) { out[env] = { exists: false, ownSource: false, ready: false }; continue }
    const ready = ((ks.status?.conditions ?? []) as Obj[]).find((c) => c.type === 'Ready')
    const ownSource = ks.spec?.sourceRef?.kind === 'OCIRepository' && ks.spec?.sourceRef?.name === appsSource(env)
    const revision = ks.status?.lastAppliedRevision as string | undefined
    // a digest of another artifact (the shared `platform` one) is not an apps digest
    const digest = ownSource ? digestOf(revision) : undefined
    out[env] = { exists: true, ownSource, ready: ready?.status === 'True', ...(revision ? { revision } : {}), ...(digest ? { digest } : {}), ...(ready?.message ? { message: String(ready.message) } : {}) }
  }
  return out
}

export interface Observed {
  environments: readonly Environment[]
  running: Partial<Record<Environment, Running>>
  /** tag -> digest in the apps repository */
  tags: ReadonlyMap<string, string>
  history: readonly MoveRecord[]
}

export interface Plan {
  kind: PromoteRequest['kind']
  to: Environment
  from?: Environment
  /** the digest the target will follow */
  digest: string
  /** what the target runs now: the "before" of the diff */
  current?: string
  /** what the target's tag names now: kept as <to>-previous when the tag moves */
  tagged?: string
  /** the environment whose smoke and netpol checks must be green first */
  gate?: Environment
  /** set when there is nothing to do */
  noop?: string
  notes: string[]
}

const refuse = (message: string, hint: string) => new StepError({ step: 'promote', message, hint, exitCode: EXIT.precondition })
const config = (message: string, hint: string) => new StepError({ step: 'promote', message, hint, exitCode: EXIT.usage })

function requireConfigured(env: Environment, o: Observed): void {
  if (!o.environments.includes(env)) throw config(`${env} is not in ENVIRONMENTS (${o.environments.join(',')})`, `add ${env} to ENVIRONMENTS and run up, or pick one of ${o.environments.join(', ')}`)
}

function requireKustomization(env: Environment, o: Observed): Running {
  const r = o.running[env]
  if (!r?.exists) throw refuse(`Kustomization flux-system/${appsSource(env)} does not exist, so ${env} runs no apps artifact`, 'run npx zx scripts/up.mts first')
  if (!r.ownSource) throw refuse(`Kustomization flux-system/${appsSource(env)} does not read its own apps source (OCIRepository ${appsSource(env)}): this platform predates promotion`, 'run npx zx scripts/up.mts once to give every environment its own tag (they all start at one digest)')
  return r
}

/** Refuse a step down the ladder, and a skipped environment unless --skip-staging. */
export function checkOrder(from: Environment, to: Environment, environments: readonly Environment[], skipStaging: boolean): void {
  const steps = ladder(environments)
  const i = steps.indexOf(from)
  const j = steps.indexOf(to)
  if (j <= i) {
    throw refuse(`${from} -> ${to} goes down the ladder (${steps.join(' -> ')})`, `to put an older digest into ${to}, roll it back: --to ${to} --digest <sha256:...> or --undo ${to}`)
  }
  const skipped = steps.slice(i + 1, j)
  if (skipped.length && !skipStaging) {
    throw refuse(`${from} -> ${to} skips ${skipped.join(', ')}`, `promote ${from} ${skipped[0]} first, or add --skip-staging to go straight to ${to} on purpose`)
  }
}

function knownDigests(o: Observed): string[] {
  return [...o.tags.values(), ...o.history.flatMap((h) => [h.to, ...(h.from ? [h.from] : [])]), ...Object.values(o.running).flatMap((r) => (r?.digest ? [r.digest] : []))]
}

function resolve(input: DigestInput, o: Observed): string {
  const r = resolveDigest(input, knownDigests(o))
  if (r.ok) return r.digest
  if (r.reason === 'ambiguous') throw config(`--digest ${input.text} matches ${r.candidates.length} digests: ${r.candidates.map(shortDigest).join(', ')}`, 'give more digits, or the full sha256:<64 hex>')
  throw config(`--digest ${input.text}: no digest this registry or this machine's log knows starts with it`, 'give the full sha256:<64 hex> digest (flux list artifacts oci://localhost:<REGISTRY_PORT>/apps lists the tagged ones)')
}

export function planPromotion(req: PromoteRequest, o: Observed): Plan {
  requireConfigured(req.to, o)
  const target = requireKustomization(req.to, o)
  const tagged = o.tags.get(req.to)
  const notes: string[] = []
  let plan: Plan
  if (req.kind === 'promote') {
    requireConfigured(req.from, o)
    checkOrder(req.from, req.to, o.environments, req.skipStaging)
    const source = requireKustomization(req.from, o)
    if (!source.digest) {
      throw refuse(`${req.from} has not applied an apps artifact yet${source.message ? ` (${appsSource(req.from)}: ${source.message})` : ''}`, `npx zx scripts/status.mts shows why; fix ${req.from} before promoting from it`)
    }
    if (req.digest) {
      const wanted = resolve(req.digest, o)
      if (wanted !== source.digest) {
        throw refuse(`${req.from} runs ${shortDigest(source.digest)}, not ${shortDigest(wanted)}: only what ${req.from} runs (and passes its checks) can be promoted`, `omit --digest to promote what ${req.from} runs, or put that digest into ${req.to} directly: --to ${req.to} --digest ${wanted}`)
      }
    }
    const sourceTag = o.tags.get(req.from)
    if (sourceTag && sourceTag !== source.digest) notes.push(`${req.from}'s tag already names ${shortDigest(sourceTag)} (not applied yet); promoting ${shortDigest(source.digest)}, what ${req.from} runs`)
    plan = { kind: 'promote', from: req.from, to: req.to, digest: source.digest, gate: req.from, notes }
  } else if (req.kind === 'rollback') {
    plan = { kind: 'rollback', to: req.to, digest: resolve(req.digest, o), notes }
  } else {
    const previous = o.tags.get(previousTag(req.to))
    if (!previous) throw refuse(`${req.to} has no previous digest: the tag ${previousTag(req.to)} does not exist (its tag was never moved from one digest to another)`, `roll back to a chosen digest instead: --to ${req.to} --digest <sha256:...>`)
    plan = { kind: 'undo', to: req.to, digest: previous, notes }
  }
  if (target.digest) plan.current = target.digest
  if (tagged) plan.tagged = tagged
  if (target.digest && target.digest !== tagged && tagged) notes.push(`${req.to}'s tag names ${shortDigest(tagged)} but ${req.to} runs ${shortDigest(target.digest)}`)
  if (plan.current === plan.digest && plan.tagged === plan.digest) plan.noop = `${req.to} already runs ${shortDigest(plan.digest)}`
  return plan
}
