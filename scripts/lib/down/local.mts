// The local part of what down observes: the state dir, the generated credentials file, the local CA, recorded
// port-forwards.
// File reads only (plus the pid checks in forwards.mts).

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Runner } from '../shell/run.mts'
import type { PlatformState } from '../shell/state.mts'
import { caPaths } from '../tls/ca.mts'
import { observeForwards } from './forwards.mts'
import type { ObservedLocal } from './types.mts'

const inside = (child: string, parent: string) => {
  const rel = path.relative(parent, child)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

/**
 * May down remove this dir recursively? Never /, $HOME, the repo, or anything containing them; and only a dir
 * that is plainly ours: inside the repo (the default .platform/) or named for the platform (STATE_DIR=~/.platform-x).
 * Otherwise down removes only the files it knows it wrote.
 */
export function isRemovableStateDir(dir: string, root: string, home: string = os.homedir()): boolean {
  const d = path.resolve(dir)
  for (const p of [path.parse(d).root, path.resolve(home), path.resolve(root)]) {
    if (d === p || inside(p, d)) return false
  }
  return inside(d, path.resolve(root)) || /platform/i.test(path.basename(d))
}

/** The Grafana admin password file up generated, when it lies inside the state dir (anything else is not ours). */
export function credentialsFile(stateDir: string, root: string, state: PlatformState, entries: string[]): string | undefined {
  const recorded = state.grafana?.secretFile
  const candidates = recorded
    ? (path.isAbsolute(recorded) ? [recorded] : [path.resolve(stateDir, recorded), path.resolve(root, recorded)])
    : entries.filter((e) => /^grafana/i.test(e)).map((e) => path.join(stateDir, e))
  return candidates.map((c) => path.resolve(c)).find((c) => inside(c, path.resolve(stateDir)) && fs.existsSync(c))
    ?? candidates.map((c) => path.resolve(c)).find((c) => inside(c, path.resolve(stateDir)))
}

export async function observeLocal(stateDir: string, root: string, state: PlatformState, runner: Runner): Promise<ObservedLocal> {
  const exists = fs.existsSync(stateDir) && fs.statSync(stateDir).isDirectory()
  const entries = exists ? fs.readdirSync(stateDir).sort() : []
  const file = exists ? credentialsFile(stateDir, root, state, entries) : undefined
  const ca = caPaths(stateDir)
  const caFiles = exists && fs.existsSync(ca.dir) && fs.statSync(ca.dir).isDirectory() ? [ca.cert, ca.key].filter((f) => fs.existsSync(f)) : []
  return {
    stateDir,
    stateExists: exists,
    stateEntries: entries,
    dirRemovable: isRemovableStateDir(stateDir, root),
    ...(file ? { credentials: { file, exists: fs.existsSync(file) } } : {}),
    ...(caFiles.length ? { ca: { dir: ca.dir, files: caFiles } } : {}),
    forwards: exists ? await observeForwards(stateDir, runner) : [],
  }
}
