// Reading and moving the environments' tags of the apps artifact in the local registry (flux list/tag artifact
// through the flux adapter). Every move first keeps the digest the tag named as <env>-previous (what --undo goes
// back to), then moves the tag, then appends to the local move log. Shared by up/sync (the entry environment and
// the first seeding) and promote.

import type { Environment } from '../shell/config.mts'
import type { Runner } from '../shell/run.mts'
import { appsUrl, previousTag } from '../flux/apps-artifact.mts'
import { fluxListArtifacts, fluxTagArtifact } from '../tools/flux.mts'
import { appendMove, type MoveAction } from './history.mts'

/** tag -> digest of every tag of the apps repository (empty before the first push). Read-only. */
export async function readTags(r: Runner, registryPort: number, step = 'promote/tags'): Promise<Map<string, string>> {
  const rows = await fluxListArtifacts(r, appsUrl(registryPort), step)
  return new Map(rows.map((row) => [row.tag, row.digest]))
}

export interface Move {
  env: Environment
  /** the digest the tag names now (undefined: the tag does not exist yet) */
  from?: string
  to: string
  action: MoveAction
  source?: Environment
}

/** Point <env> at `to` (keeping `from` as <env>-previous); appends to the log unless --dry-run. Mutating. */
export async function moveTag(ctx: { runner: Runner; stateDir: string; dryRun: boolean }, registryPort: number, m: Move, step = 'promote/tag'): Promise<void> {
  if (m.from && m.from !== m.to) await fluxTagArtifact(ctx.runner, appsUrl(registryPort, { digest: m.from }), [previousTag(m.env)], step)
  await fluxTagArtifact(ctx.runner, appsUrl(registryPort, { digest: m.to }), [m.env], step)
  if (!ctx.dryRun) {
    appendMove(ctx.stateDir, { at: new Date().toISOString(), env: m.env, action: m.action, ...(m.from ? { from: m.from } : {}), to: m.to, ...(m.source ? { source: m.source } : {}) })
  }
}
