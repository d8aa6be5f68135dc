// Where a rendered object came from. validate builds each kustomization through a wrapper with
// `buildMetadata: [originAnnotations, transformerAnnotations]`, so kustomize stamps every object with the file it
// was read from (or the kustomization whose generator made it) and the kustomizations that patched it.

import path from 'node:path'
import YAML from 'yaml'

export const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin'
export const TRANSFORMATIONS_ANNOTATION = 'alpha.config.kubernetes.io/transformations'

/** Transformers that rewrite fields users write (so a problem may come from them, not the source file). */
const FIELD_CHANGING = new Set(['PatchTransformer', 'PatchStrategicMergeTransformer', 'PatchJson6902Transformer', 'ImageTagTransformer', 'ReplacementTransformer', 'ReplicaCountTransformer'])

/** The wrapper kustomization that builds `target` with origin annotations; it lives in `wrapperDir`. */
export function originWrapper(wrapperDir: string, target: string): string {
  const rel = path.relative(wrapperDir, target).split(path.sep).join('/')
  return YAML.stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [rel],
    buildMetadata: ['originAnnotations', 'transformerAnnotations'],
  })
}

export interface Origin {
  /** absolute path of the source file */
  file: string
  /** absolute paths of kustomization files whose patches/images changed the object */
  patchedBy: string[]
}

// The same few blocks repeat on every object of a file or a patch; parsing YAML is the slow part, so once each.
// Callers only read the parsed values.
const parsedBlocks = new Map<string, unknown>()

function parseBlock(text: unknown): any {
  if (typeof text !== 'string') return undefined
  if (!parsedBlocks.has(text)) {
    let value: unknown
    try { value = YAML.parse(text) } catch { value = undefined }
    parsedBlocks.set(text, value)
  }
  return parsedBlocks.get(text)
}

/** Read and remove the build annotations (they are not part of what Flux applies). */
export function takeOrigin(doc: Record<string, any>, originBase: string, fallbackFile: string): Origin {
  const ann = doc.metadata?.annotations as Record<string, string> | undefined
  const origin = parseBlock(ann?.[ORIGIN_ANNOTATION])
  const transformations = parseBlock(ann?.[TRANSFORMATIONS_ANNOTATION])
  if (ann) {
    delete ann[ORIGIN_ANNOTATION]
    delete ann[TRANSFORMATIONS_ANNOTATION]
    if (Object.keys(ann).length === 0) delete doc.metadata.annotations
  }
  const rel = typeof origin?.path === 'string' ? origin.path : typeof origin?.configuredIn === 'string' ? origin.configuredIn : undefined
  const file = rel ? path.resolve(originBase, rel) : fallbackFile
  const patchedBy: string[] = []
  for (const t of Array.isArray(transformations) ? transformations : []) {
    if (FIELD_CHANGING.has(t?.configuredBy?.kind) && typeof t?.configuredIn === 'string') {
      const f = path.resolve(originBase, t.configuredIn)
      if (!patchedBy.includes(f)) patchedBy.push(f)
    }
  }
  return { file, patchedBy }
}
