// tls: the local CA and its Secret in the cluster, before Flux reconciles infrastructure/configs (whose
// ClusterIssuer signs the gateway's certificates with it).
//  1. the CA in <STATE_DIR>/tls: reused when it is there (so the user's one-time trust keeps working across
//     down/up and cluster re-creation), created once otherwise (in-process, lib/tls);
//  2. the Secret cert-manager/platform-local-ca (kubernetes.io/tls), applied from stdin only when the cluster does
//     not hold exactly this CA already. The key is never an argument and never printed.
// Needs the namespaces of the addons phase (cert-manager is one of them).

import path from 'node:path'
import { EXIT, StepError } from '../../shell/errors.mts'
import { caPaths, ensureCa, observeCa } from '../../tls/ca.mts'
import { CA_SECRET, caSecretManifest, caSecretMatches, hideCaKey } from '../../tls/secret.mts'
import { gitIgnores } from '../../tools/git.mts'
import { getObject, kubectlApplyServerSide, kubectlDelete } from '../../tools/kubectl.mts'
import { kubeContext } from '../context.mts'
import type { Phase, UpContext } from '../types.mts'
import { FIELD_MANAGER } from './addons.mts'

const STEP = 'tls'

const shown = (ctx: UpContext, file: string) => {
  const rel = path.relative(ctx.root, file)
  return rel && !rel.startsWith('..') ? rel : file
}

/** A key inside the repository must be git-ignored (STATE_DIR=state/ would make it committable). */
async function keyCommittable(ctx: UpContext): Promise<string | undefined> {
  const key = caPaths(ctx.stateDir).key
  const rel = path.relative(ctx.root, key)
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined
  return (await gitIgnores(ctx.runner, ctx.root, rel, STEP)) === false ? rel : undefined
}

export async function runTls(ctx: UpContext, update: (s: string) => void = () => {}): Promise<string> {
  update('local CA')
  const committable = await keyCommittable(ctx)
  if (committable && observeCa(ctx.stateDir).state !== 'ok') {
    throw new StepError({
      step: STEP,
      message: `STATE_DIR ${ctx.config.stateDir} is inside the repository and not git-ignored: the local CA's key (${committable}) could be committed`,
      hint: `add ${path.relative(ctx.root, ctx.stateDir) || '.'}/ to .gitignore, or point STATE_DIR outside the repository`,
      exitCode: EXIT.usage,
    })
  }
  if (committable) ctx.ui.warn(`tls: ${committable} is not git-ignored: add its directory to .gitignore so the CA key can never be committed`)
  let ensured
  try {
    ensured = await ensureCa(ctx.stateDir, { dryRun: ctx.dryRun })
  } catch (e) {
    if (e instanceof StepError) throw e
    throw new StepError({ step: STEP, message: `cannot read or create the local CA in ${caPaths(ctx.stateDir).dir}: ${(e as Error).message}`, hint: 'check that STATE_DIR is a directory you can read and write', exitCode: EXIT.precondition })
  }
  for (const w of ensured.warnings) ctx.ui.warn(`tls: ${w}`)
  const notes: string[] = []
  const where = shown(ctx, path.join(ctx.stateDir, 'tls'))
  if (ensured.action === 'would-create') notes.push(`would create the local CA in ${where}${ensured.reason ? ` (${ensured.reason})` : ''}`)
  if (ensured.action === 'created') {
    ctx.facts.changed.push('local CA')
    notes.push(`created the local CA "${ensured.ca!.name}" in ${where}`)
  }
  const ca = ensured.ca
  if (ca) ctx.facts.tls = { caFile: ca.paths.cert, caName: ca.name, fingerprint: ca.fingerprint }

  const context = kubeContext(ctx)
  const secretId = `Secret ${CA_SECRET.namespace}/${CA_SECRET.name}`
  update(secretId)
  if (ca) hideCaKey(ca)
  if (!ca) {
    // dry-run with no CA yet: nothing to compare, the Secret would follow the new CA
    notes.push(`would apply ${secretId} from it`)
    return notes.join('; ')
  }
  const live = await getObject<{ type?: string; data?: Record<string, string> }>(ctx.runner, context, 'secret', CA_SECRET.name, CA_SECRET.namespace, STEP)
  if (caSecretMatches(live, ca)) return notes.join('; ') || `reused the local CA "${ca.name}"; ${secretId} up to date`
  // a Secret's type cannot change in place: one of another type under our name is replaced
  if (live && live.type !== 'kubernetes.io/tls') {
    await kubectlDelete(ctx.runner, context, 'secret', CA_SECRET.name, CA_SECRET.namespace, STEP)
  }
  try {
    await kubectlApplyServerSide(ctx.runner, context, caSecretManifest(ca), { fieldManager: FIELD_MANAGER, forceConflicts: true }, STEP)
  } catch (e) {
    if (e instanceof StepError && /namespaces? "?cert-manager"? not found/.test(e.message)) {
      throw new StepError({ step: STEP, message: `cannot create ${secretId}: the namespace cert-manager does not exist in ${context}`, hint: 'run up with the addons phase (it creates the platform namespaces), e.g. without --only/--skip', exitCode: EXIT.precondition })
    }
    throw e
  }
  if (ctx.dryRun) notes.push(`would ${live ? 'update' : 'create'} ${secretId}`)
  else {
    ctx.facts.changed.push('local CA secret')
    notes.push(`${secretId} ${live ? 'updated' : 'created'}`)
  }
  return notes.join('; ')
}

export const tlsPhase: Phase = {
  id: 'tls',
  title: 'local CA and its cluster Secret',
  needs: ['addons'],
  async run(ctx, step) {
    return { note: await runTls(ctx, (s) => step?.update(s)) }
  },
}
