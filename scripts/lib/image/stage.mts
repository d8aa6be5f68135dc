// The build context the builder receives is staged: exactly the files the image hash covers (contextFiles, by the
// Dockerfile's ignore rules) plus the Dockerfile, copied into a temporary directory. Both builders then see the
// same context: BuildKit, and the legacy builder (Docker 20.10, or a newer CLI without buildx), which ignores
// <Dockerfile>.dockerignore and would otherwise send the whole repository (node_modules, .env) to the daemon.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface StagedContext {
  /** the directory to build from */
  dir: string
  /** the Dockerfile inside it (same relative path as in the source context) */
  dockerfile: string
  remove(): void
}

export function stageContext(context: string, dockerfile: string, files: readonly string[]): StagedContext {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-build-'))
  try {
    for (const rel of [...files, dockerfile]) {
      const from = path.join(context, rel)
      const to = path.join(dir, rel)
      fs.mkdirSync(path.dirname(to), { recursive: true })
      // a copy keeps the mode (the executable bit reaches the image); mtimes do not matter to the hash
      fs.copyFileSync(from, to)
      fs.chmodSync(to, fs.statSync(from).mode & 0o777)
    }
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw e
  }
  return { dir, dockerfile: path.join(dir, dockerfile), remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}
