// The demo image's tag is a hash of exactly what goes into the build: the Dockerfile, its ignore file and every
// context file the ignore rules let through (for apps/demo: package.json, package-lock.json, apps/demo/package.json,
// apps/demo/src/** without tests). Same inputs -> same tag -> nothing to build or roll out; any change -> a new tag,
// which the Flux Kustomizations pick up through spec.images. Reads files only.

import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { isIncluded, mayContainIncluded, negationPrefixes, parseDockerignore } from './dockerignore.mts'

export interface ImageSource {
  /** build context (the repository root for the demo app) */
  context: string
  /** Dockerfile path relative to the context */
  dockerfile: string
  /** build args that change the result (none by default) */
  buildArgs?: Record<string, string>
}

export const DEMO_IMAGE: Omit<ImageSource, 'context'> = { dockerfile: 'apps/demo/Dockerfile' }

/** BuildKit reads <Dockerfile>.dockerignore next to the Dockerfile before <context>/.dockerignore. */
export function ignoreFileFor(src: ImageSource): string | undefined {
  const specific = path.join(src.context, `${src.dockerfile}.dockerignore`)
  if (fs.existsSync(specific)) return specific
  const generic = path.join(src.context, '.dockerignore')
  return fs.existsSync(generic) ? generic : undefined
}

/** Context files the builder receives, as sorted posix paths relative to the context. */
export function contextFiles(src: ImageSource): string[] {
  const ignore = ignoreFileFor(src)
  const text = ignore ? fs.readFileSync(ignore, 'utf8') : ''
  const rules = parseDockerignore(text)
  const prefixes = negationPrefixes(text)
  const out: string[] = []
  const walk = (dirRel: string) => {
    const abs = path.join(src.context, dirRel)
    for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const rel = dirRel ? `${dirRel}/${e.name}` : e.name
      if (e.isDirectory()) {
        if (mayContainIncluded(rules, rel, prefixes)) walk(rel)
      } else if (e.isFile() && isIncluded(rules, rel)) out.push(rel)
    }
  }
  walk('')
  return out.sort()
}

export interface ImageHash {
  /** full sha256 hex of the inputs */
  hash: string
  /** the image tag: first 12 hex characters (never "latest") */
  tag: string
  /** the context files that went into the hash */
  files: string[]
}

export function imageContentHash(src: ImageSource): ImageHash {
  const h = crypto.createHash('sha256')
  const add = (label: string, content: Buffer | string) => {
    const body = typeof content === 'string' ? Buffer.from(content) : content
    h.update(`${label}\0${body.length}\0`)
    h.update(body)
  }
  add('dockerfile', fs.readFileSync(path.join(src.context, src.dockerfile)))
  const ignore = ignoreFileFor(src)
  add('ignore', ignore ? fs.readFileSync(ignore) : '')
  for (const [k, v] of Object.entries(src.buildArgs ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) add(`arg:${k}`, v)
  const files = contextFiles(src)
  for (const rel of files) {
    const abs = path.join(src.context, rel)
    // The executable bit reaches the image too; mtimes do not.
    const exec = (fs.statSync(abs).mode & 0o111) !== 0 ? 'x' : '-'
    add(`file:${rel}:${exec}`, fs.readFileSync(abs))
  }
  const hash = h.digest('hex')
  return { hash, tag: hash.slice(0, 12), files }
}
