// The local part of what down observes: what the suite wrote into the state dir (its journal, manifest.mts), the
// generated credentials file, the local CA, recorded port-forwards. File reads only (plus the pid checks in forwards.mts).

import fs from 'node:fs'
import path from 'node:path'
import { ownedState } from '../shell/manifest.mts'
import type { Runner } from '../shell/run.mts'
import type { PlatformState } from '../shell/state.mts'
import { caPaths } from '../tls/ca.mts'
import { observeForwards } from './forwards.mts'
import type { ObservedLocal } from './types.mts'

const inside = (child: string, parent: string) => {
  const rel = path.relative(parent, child)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

const relOf = (stateDir: string, file: string) => path.relative(path.resolve(stateDir), path.resolve(file)).split(path.sep).join('/')

/**
 * The Grafana admin password file up generated: inside the state dir and written by the suite (`owned`: the
 * relative paths it recorded). Anything else, whatever state.json says, is not ours.
 */
export function credentialsFile(stateDir: string, root: string, state: PlatformState, owned: string[]): string | undefined {
  const recorded = state.grafana?.secretFile
  const candidates = (recorded
    ? (path.isAbsolute(recorded) ? [recorded] : [path.resolve(stateDir, recorded), path.resolve(root, recorded)])
    : owned.filter((e) => /^grafana/i.test(e)).map((e) => path.join(stateDir, e))).map((c) => path.resolve(c))
  // a file that is not there cannot be someone else's; one that is must be in the journal
  const ours = (c: string) => inside(c, path.resolve(stateDir)) && (!fs.existsSync(c) || owned.includes(relOf(stateDir, c)))
  return candidates.find((c) => ours(c) && fs.existsSync(c)) ?? candidates.find(ours)
}

export async function observeLocal(stateDir: string, root: string, state: PlatformState, runner: Runner): Promise<ObservedLocal> {
  const exists = fs.existsSync(stateDir) && fs.statSync(stateDir).isDirectory()
  const owned = ownedState(stateDir)
  const file = exists ? credentialsFile(stateDir, root, state, owned.files.map((f) => f.path)) : undefined
  // the local CA: only its files the suite recorded writing (kept by a plain down, an item of its own)
  const ca = caPaths(stateDir)
  const caFiles = owned.files.map((f) => path.join(stateDir, f.path)).filter((f) => f === ca.cert || f === ca.key)
  return {
    stateDir,
    stateExists: exists,
    owned,
    ...(file ? { credentials: { file, exists: fs.existsSync(file) } } : {}),
    ...(caFiles.length ? { ca: { dir: ca.dir, files: caFiles } } : {}),
    forwards: exists ? await observeForwards(stateDir, runner) : [],
  }
}
