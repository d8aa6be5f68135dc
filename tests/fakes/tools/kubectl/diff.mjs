// Fake `kubectl diff [--server-side] -f -`: exit 0 when every field of every given object already has that value
// in the store (what a server-side diff by the same field manager reports for fields it owns), 1 with a unified-
// diff-like listing otherwise, >1 for errors (unknown namespace, unreachable cluster).
import { parseDocs, objectsOf, normalize, CLUSTER_SCOPED } from './store.mjs'

const isObj = (v) => v && typeof v === 'object' && !Array.isArray(v)
function subset(want, have) {
  if (Array.isArray(want)) return Array.isArray(have) && JSON.stringify(want) === JSON.stringify(have)
  if (isObj(want)) return isObj(have) && Object.entries(want).every(([k, v]) => subset(v, have[k]))
  return want === have
}

export default function diff({ a, state, stdin, target }) {
  const t = target(state, a)
  if (t.error) return { ...t.error, code: 1 + (t.error.code ?? 1) }
  const docs = a.files.includes('-') ? parseDocs(stdin) : []
  const live = objectsOf(state, t.name)
  const out = []
  for (const o of docs) {
    const ns = CLUSTER_SCOPED.has(o.kind) ? undefined : o.metadata?.namespace ?? a.namespace ?? 'default'
    if (ns && ns !== 'default' && !docs.some((d) => d.kind === 'Namespace' && d.metadata.name === ns) && !live.some((x) => x.kind === 'Namespace' && x.metadata.name === ns)) {
      return { code: 2, stderr: `Error from server (NotFound): namespaces "${ns}" not found\n` }
    }
    const have = live.find((x) => x.kind === o.kind && x.metadata.name === o.metadata.name && (CLUSTER_SCOPED.has(o.kind) || x.metadata.namespace === ns))
    const { status, ...want } = normalize(o)
    if (!have || !subset(want, have)) {
      const id = `${o.apiVersion.replace('/', '.')}.${o.kind}.${ns ?? ''}.${o.metadata.name}`
      out.push(`diff -u -N /tmp/LIVE-000/${id} /tmp/MERGED-000/${id}\n--- /tmp/LIVE-000/${id}\n+++ /tmp/MERGED-000/${id}\n${have ? '-' + JSON.stringify({ ...have, status: undefined }) + '\n' : ''}+${JSON.stringify(want)}\n`)
    }
  }
  return out.length ? { code: 1, stdout: out.join('') } : { code: 0, stdout: '' }
}
