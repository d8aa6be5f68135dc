// What validate looks at: the GitOps directories of the repository, never tests, fixtures or node_modules.

import fs from 'node:fs'
import path from 'node:path'
import { GITOPS_DIRS } from './gitops-dirs.mts'
import { findKustomizationFile } from './kustomization-file.mts'

export { GITOPS_DIRS }
const SKIP_DIRS = new Set(['node_modules', 'tests', 'test', 'fixtures', 'dist', 'build', 'coverage'])

export interface Discovered {
  /** absolute directories that contain a kustomization file, sorted */
  kustomizations: string[]
  /** absolute paths of every *.yaml / *.yml file (kustomization files included), sorted */
  yamlFiles: string[]
}

export function discover(root: string): Discovered {
  const kustomizations: string[] = []
  const yamlFiles: string[] = []
  const walk = (dir: string) => {
    let entries: fs.Dirent[]
    try { entries = fs.readdirSync(dir, { withFileTypes: true }) } catch { return }
    if (findKustomizationFile(dir)) kustomizations.push(dir)
    for (const e of entries) {
      if (e.name.startsWith('.')) continue
      const p = path.join(dir, e.name)
      if (e.isDirectory()) { if (!SKIP_DIRS.has(e.name)) walk(p) }
      else if (e.isFile() && /\.ya?ml$/.test(e.name)) yamlFiles.push(p)
    }
  }
  for (const d of GITOPS_DIRS) walk(path.join(root, d))
  return { kustomizations: kustomizations.sort(), yamlFiles: yamlFiles.sort() }
}
