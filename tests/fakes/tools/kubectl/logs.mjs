// Fake `kubectl logs <pod|deploy/name> -n <ns> [--tail N] [--all-containers] [--previous]`: a few JSON log lines
// for an existing Pod or Deployment (what diagnostics bundles collect), NotFound otherwise.
import { objectsOf } from './store.mjs'

export default function logs({ a, state, target }) {
  const t = target(state, a)
  if (t.error) return t.error
  const ref = a.positional[0] ?? ''
  const [kind, name] = ref.includes('/') ? ref.split('/') : ['pod', ref]
  const ns = a.namespace ?? 'default'
  const k = kind.startsWith('deploy') ? 'Deployment' : 'Pod'
  const found = objectsOf(state, t.name).some((o) => o.kind === k && o.metadata.name === name && o.metadata.namespace === ns)
  if (!found) return { code: 1, stderr: `Error from server (NotFound): ${k === 'Pod' ? 'pods' : 'deployments.apps'} "${name}" not found\n` }
  return { code: 0, stdout: `{"level":"info","ts":"2025-01-01T00:00:00Z","msg":"starting manager","target":"${ns}/${name}"}\n{"level":"error","msg":"fake log line"}\n` }
}
