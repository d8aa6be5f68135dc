// The apps artifact and its per-environment tags (FLUX_MODE=oci). One OCI repository `apps` in the local
// registry; each environment's OCIRepository follows its own tag (`dev`, `staging`, `production`), and a tag names
// one immutable digest. The artifact carries the demo image it was built with: on the way in, every overlay's
// `images` entry for the demo image is pinned to the tag `up`/`sync` built, so an environment runs exactly what
// its digest says (image and manifests move together; nothing is overridden at apply time). Pure.

import YAML from 'yaml'
import { ALL_ENVIRONMENTS, type Environment } from '../shell/config.mts'
import type { StageTransform } from './artifact.mts'

export const APPS_REPOSITORY = 'apps'

/** The OCIRepository (and Kustomization) of an environment's apps: both are named apps-<env>. */
export const appsSource = (env: Environment) => `apps-${env}`

/** Where --undo finds the digest an environment ran before its last move (kept in the registry, next to the tag). */
export const previousTag = (env: Environment) => `${env}-previous`

/** Host-side URL of the apps repository (flux CLI on this machine), optionally at a tag or a digest. */
export function appsUrl(registryPort: number, ref?: { tag?: string; digest?: string }): string {
  const base = `oci://localhost:${registryPort}/${APPS_REPOSITORY}`
  if (ref?.digest) return `${base}@${ref.digest}`
  if (ref?.tag) return `${base}:${ref.tag}`
  return base
}

/** The configured environments in promotion order (dev -> staging -> production). */
export function ladder(environments: readonly Environment[]): Environment[] {
  return ALL_ENVIRONMENTS.filter((e) => environments.includes(e))
}

/** The environment `up`/`sync` push to: the first of the ladder (dev unless ENVIRONMENTS leaves it out). */
export function entryEnvironment(environments: readonly Environment[]): Environment | undefined {
  return ladder(environments)[0]
}

export interface ImagePin { name: string; newName: string; newTag: string }

/**
 * Pin the demo image in one overlay's kustomization.yaml (text in, text out, comments kept): the `images` entry
 * of that name gets newName/newTag, or is added. Unchanged text when nothing would change.
 */
export function pinImage(kustomization: string, image: ImagePin): string {
  const doc = YAML.parseDocument(kustomization)
  const current = (doc.toJS() as { images?: { name?: string; newName?: string; newTag?: string }[] } | null)?.images ?? []
  const i = current.findIndex((e) => e?.name === image.name)
  if (i >= 0 && current[i]!.newName === image.newName && String(current[i]!.newTag) === image.newTag) return kustomization
  if (i >= 0) {
    doc.setIn(['images', i, 'newName'], image.newName)
    doc.setIn(['images', i, 'newTag'], image.newTag)
    doc.deleteIn(['images', i, 'digest'])
  } else if (doc.hasIn(['images'])) {
    doc.addIn(['images'], doc.createNode({ ...image }))
  } else {
    doc.setIn(['images'], doc.createNode([{ ...image }]))
  }
  return doc.toString({ lineWidth: 0 })
}

const OVERLAY_KUSTOMIZATION = /^apps\/overlays\/[^/]+\/kustomization\.ya?ml$/

/** The staging transform of the apps artifact: every overlay pins `image` (none: the overlays stay as written). */
export function appsTransform(image: ImagePin | undefined): StageTransform | undefined {
  if (!image) return undefined
  return (rel, content) => (OVERLAY_KUSTOMIZATION.test(rel) ? Buffer.from(pinImage(content.toString('utf8'), image)) : content)
}
