// The Flux controllers of the fake cluster, run synchronously by `flux reconcile` and `flux bootstrap`:
//  - OCIRepository: the artifact at spec.ref.digest, else at the repository:spec.ref.tag that `flux push artifact`
//    or `flux tag artifact` set (the fake registry has one name space: host names are aliases, as
//    kind-registry:5000 and localhost:<port> are for one registry); revision "<tag>@sha256:<hex>" or "sha256:<hex>";
//  - GitRepository flux-system: the working tree recorded by `flux bootstrap git`;
//  - Kustomization: real `kubectl kustomize` of <artifact>/<spec.path>, spec.images applied to Deployments, objects
//    labelled and stored, pruned when gone; Ready only when its dependsOn are Ready and (wait: true) everything
//    it applied is healthy. Objects listed in state.kube.stuck never get healthy.
// Deployments and HPAs it applies get the status a healthy cluster would report.
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import YAML from './yaml.mjs'
import { kube, objectsOf, upsert, READY_KINDS } from './kubectl/store.mjs'

const cond = (status, reason, message) => [{ type: 'Ready', status, reason, message, lastTransitionTime: new Date().toISOString() }]
const isStuck = (state, o) => (kube(state).stuck ?? []).some((s) => s.kind === o.kind && s.name === o.metadata.name && (!s.namespace || s.namespace === o.metadata.namespace))
const readyOf = (o) => (o?.status?.conditions ?? []).find((c) => c.type === 'Ready')?.status === 'True'

function sourceDir(state, src) {
  if (src.kind === 'OCIRepository') {
    // ref.digest wins over ref.tag (source-controller's order); the revision names what was resolved
    const m = /^oci:\/\/([^/]+)\/(.+)$/.exec(src.spec?.url ?? '')
    const host = m?.[1] ?? ''
    const repo = m?.[2] ?? ''
    const digest = /^sha256:([0-9a-f]{64})$/.exec(src.spec?.ref?.digest ?? '')?.[1]
    const tag = src.spec?.ref?.tag ?? 'latest'
    const byDigest = (d) => state.flux?.manifests?.[`${repo}@sha256:${d}`]
      ?? Object.entries(state.flux?.artifacts ?? {}).find(([k, a]) => k.startsWith(`${repo}:`) && a.digest === d)?.[1]
    const a = digest ? byDigest(digest) : state.flux?.artifacts?.[`${repo}:${tag}`]
    const ref = digest ? `sha256:${digest}` : tag
    if (!a) return { error: `failed to pull artifact from '${src.spec?.url}': GET http://${host}/v2/${repo}/manifests/${ref}: MANIFEST_UNKNOWN: manifest unknown` }
    return { dir: a.dir, revision: digest ? `sha256:${a.digest}` : `${tag}@sha256:${a.digest}` }
  }
  if (src.kind === 'GitRepository') {
    const g = state.flux?.git
    if (!g) return { error: `failed to checkout and determine revision: unable to clone '${src.spec?.url}'` }
    return { dir: g.root, revision: `${g.branch}@sha1:${'f'.repeat(40)}` }
  }
  return { error: `unsupported source kind ${src.kind}` }
}

// Builds of a pushed artifact are kept (parsed) in node_modules/.cache: an artifact is content-addressed
// (oci/<digest>), so the same digest, path and kubectl always build the same objects, and most tests reconcile
// the same repository. A working tree (GitRepository) is built every time.
const BUILD_CACHE = path.resolve(import.meta.dirname, '..', '..', '..', 'node_modules', '.cache', 'fake-flux-builds')

function cacheKey(bin, dir, rel) {
  const digest = path.basename(dir)
  if (path.basename(path.dirname(dir)) !== 'oci' || !/^[0-9a-f]{64}$/.test(digest)) return undefined
  try {
    const st = fs.statSync(bin)
    return crypto.createHash('sha256').update(JSON.stringify([bin, st.size, st.mtimeMs, digest, rel ?? '.'])).digest('hex')
  } catch {
    return undefined
  }
}

function build(dir, rel) {
  const bin = process.env.FAKE_REAL_KUBECTL
  const key = cacheKey(bin, dir, rel)
  const file = key && path.join(BUILD_CACHE, `${key}.json`)
  if (file) {
    try { return JSON.parse(fs.readFileSync(file, 'utf8')) } catch { /* not built yet */ }
  }
  const r = spawnSync(bin, ['kustomize', '--load-restrictor=LoadRestrictionsNone', path.join(dir, rel ?? '.')], { encoding: 'utf8' })
  const result = r.status !== 0
    ? { error: (r.stderr || 'kustomize build failed').trim().split('\n').at(-1) }
    : { objs: YAML.parseAllDocuments(r.stdout).map((d) => d.toJSON()).filter((o) => o && o.kind) }
  if (file && r.status === 0) {
    const tmp = `${file}.${process.pid}.tmp`
    try {
      fs.mkdirSync(BUILD_CACHE, { recursive: true })
      fs.writeFileSync(tmp, JSON.stringify(result))
      fs.renameSync(tmp, file)
    } catch { /* a cache that cannot be written only costs the next build */ }
  }
  return result
}

function applyImages(objs, images) {
  for (const img of images ?? []) {
    for (const o of objs) {
      if (o.kind !== 'Deployment') continue
      for (const c of o.spec?.template?.spec?.containers ?? []) {
        const repo = c.image.replace(/@.*$/, '').replace(/:[^/:]+$/, '')
        if (repo === img.name || repo.split('/').at(-1) === img.name) c.image = `${img.newName ?? repo}:${img.newTag ?? 'latest'}`
      }
    }
  }
}

function healthyStatus(o, objs) {
  if (o.kind === 'Deployment') {
    const hpa = objs.find((x) => x.kind === 'HorizontalPodAutoscaler' && x.spec?.scaleTargetRef?.name === o.metadata.name)
    const n = o.spec?.replicas ?? hpa?.spec?.minReplicas ?? 1
    o.status = { observedGeneration: 1, replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] }
  }
  if (o.kind === 'HorizontalPodAutoscaler') {
    const n = o.spec?.minReplicas ?? 1
    o.status = { currentReplicas: n, desiredReplicas: n, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 8, averageValue: '2m' } } }] }
  }
}

function order(kss) {
  const byName = new Map(kss.map((k) => [`${k.metadata.namespace}/${k.metadata.name}`, k]))
  const out = []
  const seen = new Set()
  const visit = (k) => {
    const id = `${k.metadata.namespace}/${k.metadata.name}`
    if (seen.has(id)) return
    seen.add(id)
    for (const d of k.spec?.dependsOn ?? []) { const dk = byName.get(`${d.namespace ?? k.metadata.namespace}/${d.name}`); if (dk) visit(dk) }
    out.push(k)
  }
  kss.forEach(visit)
  return out
}

export function runControllers(state, context, _dir) {
  const objects = () => objectsOf(state, context)
  // sources
  for (const src of objects().filter((o) => o.kind === 'OCIRepository' || o.kind === 'GitRepository')) {
    if (src.metadata.labels?.['kustomize.toolkit.fluxcd.io/name'] && src.kind === 'OCIRepository' && !/\/platform$/.test(src.spec?.url ?? '')) continue // chart sources: left as applied
    const s = sourceDir(state, src)
    src.status = s.error
      ? { conditions: cond('False', 'OCIArtifactPullFailed', s.error) }
      : { artifact: { revision: s.revision, digest: s.revision.split('@')[1] }, conditions: cond('True', 'Succeeded', `stored artifact for revision '${s.revision}'`) }
  }
  // kustomizations, dependencies first; ones created (or re-applied) by a parent are picked up in the next pass
  const done = new Set()
  const key = (o) => `${o.metadata.namespace}/${o.metadata.name}`
  for (let pass = 0; pass < 5; pass++) {
    const ids = order(objects().filter((o) => o.kind === 'Kustomization' && !done.has(key(o)))).map(key)
    if (!ids.length) break
    for (const id of ids) {
      done.add(id)
      // look it up again: a parent reconciled earlier in this pass may have re-applied it
      const ks = objects().find((o) => o.kind === 'Kustomization' && key(o) === id)
      if (ks) reconcileKustomization(state, context, ks)
    }
  }
}

function reconcileKustomization(state, context, ks) {
  const list = objectsOf(state, context)
  const ns = ks.metadata.namespace
  const setStatus = (status, reason, message, extra = {}) => {
    ks.status = { observedGeneration: ks.metadata.generation ?? 1, ...extra, conditions: cond(status, reason, message) }
  }
  if (ks.spec?.suspend) return
  for (const d of ks.spec?.dependsOn ?? []) {
    const dep = list.find((o) => o.kind === 'Kustomization' && o.metadata.name === d.name && o.metadata.namespace === (d.namespace ?? ns))
    if (!readyOf(dep)) return setStatus('False', 'DependencyNotReady', `dependency '${d.namespace ?? ns}/${d.name}' is not ready`)
  }
  const ref = ks.spec?.sourceRef ?? {}
  const src = list.find((o) => o.kind === ref.kind && o.metadata.name === ref.name && o.metadata.namespace === (ref.namespace ?? ns))
  if (!src || !readyOf(src)) return setStatus('False', 'ArtifactFailed', `Source artifact not found, retrying in 30s`)
  const s = sourceDir(state, src)
  if (s.error) return setStatus('False', 'ArtifactFailed', s.error)
  const b = build(s.dir, ks.spec?.path)
  if (b.error) return setStatus('False', 'BuildFailed', `kustomize build failed: ${b.error}`)
  applyImages(b.objs, ks.spec?.images)
  const labels = { 'kustomize.toolkit.fluxcd.io/name': ks.metadata.name, 'kustomize.toolkit.fluxcd.io/namespace': ns }
  const mine = (o) => o.metadata?.labels?.['kustomize.toolkit.fluxcd.io/name'] === ks.metadata.name && o.metadata?.labels?.['kustomize.toolkit.fluxcd.io/namespace'] === ns
  const keys = new Set()
  const sorted = [...b.objs.filter((o) => o.kind === 'Namespace'), ...b.objs.filter((o) => o.kind !== 'Namespace')]
  for (const o of sorted) {
    o.metadata = { ...o.metadata, labels: { ...(o.metadata?.labels ?? {}), ...labels } }
    if (ks.spec?.targetNamespace && o.kind !== 'Namespace') o.metadata.namespace = ks.spec.targetNamespace
    healthyStatus(o, b.objs)
    // Server-side apply leaves fields other managers own (spec.images that `up` set on a Kustomization from git)
    // and never touches status: carry both over when the applied spec is unchanged.
    const find = () => objectsOf(state, context).find((x) => x.kind === o.kind && x.metadata.name === o.metadata.name && x.metadata.namespace === (o.metadata.namespace ?? 'default'))
    const existing = find()
    if (o.kind === 'Kustomization' && existing?.spec?.images && !o.spec?.images) o.spec = { ...o.spec, images: existing.spec.images }
    const keepStatus = o.kind === 'Kustomization' && existing?.status && JSON.stringify(existing.spec) === JSON.stringify(o.spec) ? existing.status : undefined
    upsert(state, context, o)
    if (keepStatus) find().status = keepStatus
    keys.add(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)
  }
  if (ks.spec?.prune) {
    const all = objectsOf(state, context)
    for (let i = all.length - 1; i >= 0; i--) {
      const o = all[i]
      if (mine(o) && !keys.has(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)) all.splice(i, 1)
    }
  }
  const unhealthy = sorted.filter((o) => READY_KINDS.has(o.kind) && isStuck(state, o))
  if (ks.spec?.wait && unhealthy.length) {
    return setStatus('False', 'HealthCheckFailed', `health check failed after 0s: timeout waiting for: [${unhealthy.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name} status: 'InProgress'`).join(', ')}]`, { lastAttemptedRevision: s.revision })
  }
  setStatus('True', 'ReconciliationSucceeded', `Applied revision: ${s.revision}`, { lastAppliedRevision: s.revision, lastAttemptedRevision: s.revision })
}
