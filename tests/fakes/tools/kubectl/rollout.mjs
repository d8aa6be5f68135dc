// Fake `kubectl rollout status deployment/<name> -n <ns> --timeout=...`: done at once unless the Deployment is
// listed in state.kube.stuck (then the real timeout message).
import { kube, objectsOf } from './store.mjs'

export default function rollout({ a, state, target }) {
  const t = target(state, a)
  if (t.error) return t.error
  const [sub, ref, maybeName] = a.positional
  if (sub !== 'status') return { code: 96, stderr: `error: fake kubectl does not implement "rollout ${sub}"\n` }
  const [kind, name] = ref?.includes('/') ? ref.split('/') : [ref, maybeName]
  const ns = a.namespace ?? 'default'
  const d = objectsOf(state, t.name).find((o) => o.kind === 'Deployment' && o.metadata.name === name && o.metadata.namespace === ns)
  if (!d) return { code: 1, stderr: `Error from server (NotFound): deployments.apps "${name}" not found\n` }
  if ((kube(state).stuck ?? []).some((s) => s.kind === 'Deployment' && s.name === name && (!s.namespace || s.namespace === ns))) {
    return { code: 1, stdout: `Waiting for deployment "${name}" rollout to finish: 0 of 1 updated replicas are available...\n`, stderr: 'error: timed out waiting for the condition\n' }
  }
  return { code: 0, stdout: `deployment "${name}" successfully rolled out\n` }
}
