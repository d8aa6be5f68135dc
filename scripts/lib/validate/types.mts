// Shapes shared by the validate modules.

export type Severity = 'error' | 'warning'

export interface ObjectId {
  apiVersion?: string
  kind: string
  namespace?: string
  name: string
}

export interface Problem {
  severity: Severity
  /** stable rule id, e.g. "schema", "schema/unknown-field", "ref/flux-path", "pss/run-as-non-root" */
  rule: string
  /** source file, relative to the validated root (forward slashes) */
  file: string
  object?: ObjectId
  /** field path inside the object (or inside the file for non-objects), e.g. spec.template.spec.containers[0].image */
  field?: string
  message: string
  /** kustomizations whose patches changed this object after it was read from `file` */
  patchedBy?: string[]
}

/** A rendered Kubernetes object and where it came from. */
export interface SourcedObject {
  doc: Record<string, any>
  /** absolute path of the file the object was read or generated from */
  file: string
  /** absolute paths of kustomization files that patched it */
  patchedBy: string[]
  /** absolute directory of the kustomization whose build produced it (or the file, for standalone manifests) */
  build: string
}

export const objectId = (doc: Record<string, any>): ObjectId => ({
  ...(typeof doc.apiVersion === 'string' ? { apiVersion: doc.apiVersion } : {}),
  kind: String(doc.kind ?? '?'),
  ...(typeof doc.metadata?.namespace === 'string' ? { namespace: doc.metadata.namespace } : {}),
  name: String(doc.metadata?.name ?? '?'),
})

export const formatObject = (o: ObjectId): string => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`

/** a.b[0].c from path segments */
export function fieldPath(segments: readonly (string | number)[]): string {
  let out = ''
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out ? `.${s}` : s
    else out += `[${JSON.stringify(s)}]`
  }
  return out
}
