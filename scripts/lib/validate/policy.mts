// Workload policy for the repository's own pod templates: the Pod Security Standard `restricted` profile (which
// includes `baseline`), plus what a production cluster expects on top: read-only root filesystem, readiness
// and liveness probes, CPU/memory requests and limits, pinned images. Helm charts are not rendered here, so
// their pods are not judged (the namespace labels document what they need).

import { podSpecOf, type ObjectFinding } from './object-checks.mts'

/** Volume types the restricted profile allows. */
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'])
const SECCOMP_OK = new Set(['RuntimeDefault', 'Localhost'])
const CAPS_ALLOWED_TO_ADD = new Set(['NET_BIND_SERVICE'])

export interface ImageRef {
  name: string
  tag?: string
  digest?: string
}

/** registry/path:tag@digest -> parts (a ":" before the last "/" is a registry port, not a tag). */
export function parseImage(image: string): ImageRef {
  let rest = image
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) { digest = rest.slice(at + 1); rest = rest.slice(0, at) }
  const slash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  if (colon > slash) return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), ...(digest ? { digest } : {}) }
  return { name: rest, ...(digest ? { digest } : {}) }
}

export function imageProblem(image: unknown): string | undefined {
  if (typeof image !== 'string' || !image) return undefined // missing image is a schema error
  const ref = parseImage(image)
  if (ref.digest) return undefined
  if (!ref.tag) return `image "${image}" has no tag, which means :latest; pin a version or digest`
  if (ref.tag === 'latest') return `image "${image}" uses the mutable :latest tag; pin a version or digest`
  return undefined
}

export function workloadFindings(doc: Record<string, any>): ObjectFinding[] {
  const pod = podSpecOf(doc)
  if (!pod) return []
  const out: ObjectFinding[] = []
  const add = (rule: string, field: string, message: string) => out.push({ rule, field, message })
  const p = pod.path
  const spec = pod.spec
  const podSc = (spec.securityContext ?? {}) as Record<string, any>
  const kind = String(doc.kind)
  const runsToCompletion = kind === 'Job' || kind === 'CronJob' || (kind === 'Pod' && spec.restartPolicy && spec.restartPolicy !== 'Always')

  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[ns] === true) add('pss/host-namespaces', `${p}.${ns}`, `${ns}: true shares the node's namespaces (forbidden by baseline/restricted)`)
  }
  ;(Array.isArray(spec.volumes) ? spec.volumes : []).forEach((v: Record<string, unknown>, i: number) => {
    if (!v || typeof v !== 'object') return
    if ('hostPath' in v) { add('pss/host-path', `${p}.volumes[${i}].hostPath`, `hostPath volume "${String(v.name)}" mounts the node's filesystem (forbidden)`); return }
    const type = Object.keys(v).find((k) => k !== 'name')
    if (type && !RESTRICTED_VOLUME_TYPES.has(type)) add('pss/volume-types', `${p}.volumes[${i}].${type}`, `volume type ${type} is not allowed by the restricted profile`)
  })
  if (podSc.runAsUser === 0) add('pss/run-as-user', `${p}.securityContext.runAsUser`, 'runAsUser: 0 runs as root')
  if (podSc.seccompProfile?.type && !SECCOMP_OK.has(podSc.seccompProfile.type)) {
    add('pss/seccomp', `${p}.securityContext.seccompProfile.type`, `seccompProfile ${podSc.seccompProfile.type} is not allowed; use RuntimeDefault or Localhost`)
  }

  for (const group of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    const list = Array.isArray(spec[group]) ? spec[group] : []
    list.forEach((c: Record<string, any>, i: number) => {
      if (!c || typeof c !== 'object') return
      const base = `${p}.${group}[${i}]`
      const who = `container "${String(c.name)}"`
      const sc = (c.securityContext ?? {}) as Record<string, any>

      if (sc.privileged === true) add('pss/privileged', `${base}.securityContext.privileged`, `${who} is privileged`)
      if (sc.allowPrivilegeEscalation !== false) {
        add('pss/allow-privilege-escalation', `${base}.securityContext.allowPrivilegeEscalation`, `${who} must set allowPrivilegeEscalation: false`)
      }
      const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot
      if (nonRoot !== true) {
        const field = sc.runAsNonRoot === false || podSc.runAsNonRoot !== false ? `${base}.securityContext.runAsNonRoot` : `${p}.securityContext.runAsNonRoot`
        add('pss/run-as-non-root', field, `${who} must run with runAsNonRoot: true (pod or container securityContext)${nonRoot === false ? ', not false' : ''}`)
      }
      if (sc.runAsUser === 0) add('pss/run-as-user', `${base}.securityContext.runAsUser`, `${who} runs as root (runAsUser: 0)`)
      const drop: unknown[] = Array.isArray(sc.capabilities?.drop) ? sc.capabilities.drop : []
      if (!drop.includes('ALL')) add('pss/capabilities', `${base}.securityContext.capabilities.drop`, `${who} must drop ALL capabilities`)
      const added: unknown[] = Array.isArray(sc.capabilities?.add) ? sc.capabilities.add : []
      for (const cap of added) if (!CAPS_ALLOWED_TO_ADD.has(String(cap))) add('pss/capabilities', `${base}.securityContext.capabilities.add`, `${who} adds capability ${String(cap)}; only NET_BIND_SERVICE is allowed`)
      const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type
      if (!seccomp) add('pss/seccomp', `${base}.securityContext.seccompProfile`, `${who} needs seccompProfile RuntimeDefault (pod or container securityContext)`)
      else if (sc.seccompProfile?.type && !SECCOMP_OK.has(sc.seccompProfile.type)) add('pss/seccomp', `${base}.securityContext.seccompProfile.type`, `${who} uses seccompProfile ${sc.seccompProfile.type}; use RuntimeDefault or Localhost`)
      if (sc.procMount && sc.procMount !== 'Default') add('pss/proc-mount', `${base}.securityContext.procMount`, `${who} uses procMount ${sc.procMount}`)
      ;(Array.isArray(c.ports) ? c.ports : []).forEach((port: Record<string, unknown>, j: number) => {
        if (port?.hostPort) add('pss/host-ports', `${base}.ports[${j}].hostPort`, `${who} binds hostPort ${String(port.hostPort)} on the node (forbidden by baseline)`)
      })
      if (group === 'ephemeralContainers') return

      if (sc.readOnlyRootFilesystem !== true) add('policy/read-only-root-fs', `${base}.securityContext.readOnlyRootFilesystem`, `${who} must set readOnlyRootFilesystem: true (mount an emptyDir where it writes)`)
      const problem = imageProblem(c.image)
      if (problem) add('policy/image-pinned', `${base}.image`, `${who}: ${problem}`)
      for (const section of ['requests', 'limits'] as const) {
        for (const res of ['cpu', 'memory'] as const) {
          if (c.resources?.[section]?.[res] === undefined) add('policy/resources', `${base}.resources.${section}.${res}`, `${who} must set resources.${section}.${res}`)
        }
      }
      if (group === 'containers' && !runsToCompletion) {
        if (!c.readinessProbe) add('policy/probes', `${base}.readinessProbe`, `${who} needs a readinessProbe (traffic only once ready)`)
        if (!c.livenessProbe) add('policy/probes', `${base}.livenessProbe`, `${who} needs a livenessProbe (restart when stuck)`)
      }
    })
  }
  return out
}
