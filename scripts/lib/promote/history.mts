// The local log of every tag move (sync, up's first seeding, promote, rollback, undo): one JSON line per move in
// <STATE_DIR>/promotions.jsonl, appended, never rewritten. It is the audit trail of this machine and lets short
// digests be resolved; what --undo needs lives in the registry itself (tag <env>-previous), so a state directory
// that is gone, or another machine using the same registry, loses only this log.

import fs from 'node:fs'
import path from 'node:path'
import type { Environment } from '../shell/config.mts'
import { recordStateFile } from '../shell/manifest.mts'

export type MoveAction = 'sync' | 'seed' | 'promote' | 'rollback' | 'undo'

export interface MoveRecord {
  at: string
  env: Environment
  action: MoveAction
  /** the digest the tag pointed at before (absent for a new tag) */
  from?: string
  to: string
  /** promote: the environment the digest came from */
  source?: Environment
}

const LOG = 'promotions.jsonl'
const file = (stateDir: string) => path.join(stateDir, LOG)

export function appendMove(stateDir: string, record: MoveRecord): void {
  // Kept by a plain down, like the registry whose tags it describes; `down --all` removes both.
  fs.appendFileSync(recordStateFile(stateDir, LOG, { keep: true }), `${JSON.stringify(record)}\n`)
}

/** Every readable record, oldest first; a torn or foreign line is skipped, never fatal. */
export function readMoves(stateDir: string): MoveRecord[] {
  let text = ''
  try { text = fs.readFileSync(file(stateDir), 'utf8') } catch { return [] }
  const out: MoveRecord[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const r = JSON.parse(line) as MoveRecord
      if (r && typeof r.to === 'string' && typeof r.env === 'string') out.push(r)
    } catch { /* a line cut by Ctrl-C */ }
  }
  return out
}
