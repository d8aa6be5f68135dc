// Fake `kubectl patch <kind> <name> -n <ns> --type=merge -p <json>` (RFC 7386 merge patch). A patched Flux
// Kustomization is reconciled at once, as kustomize-controller reacts to a new generation.
import { kindMatches, objectsOf, resourceName, singularName } from './store.mjs'
import { runControllers } from '../flux-sim.mjs'

function mergePatch(target, patch) {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

export default function patch({ a, state, target, env }) {
  const t = target(state, a)
  if (t.error) return t.error
  let [what, name] = a.positional
  if (what?.includes('/')) [what, name] = what.split('/')
  const type = a.flags.type ?? 'strategic'
  if (type !== 'merge') return { code: 96, stderr: `error: fake kubectl implements only --type=merge patches\n` }
  const raw = a.flags.patch ?? a.flags.p ?? (() => { const i = a.raw.indexOf('-p'); return i >= 0 ? a.raw[i + 1] : undefined })()
  let body
  try { body = JSON.parse(raw) } catch { return { code: 1, stderr: `error: unable to parse "${raw}": yaml: did not find expected node content\n` } }
  const ns = a.namespace ?? 'default'
  const list = objectsOf(state, t.name)
  const i = list.findIndex((o) => kindMatches(o.kind, what) && o.metadata.name === name && (o.kind === 'Namespace' || o.metadata.namespace === ns))
  if (i === -1) return { code: 1, stderr: `Error from server (NotFound): ${resourceName(what)} "${name}" not found\n` }
  const before = JSON.stringify(list[i])
  list[i] = mergePatch(list[i], body)
  const changed = JSON.stringify(list[i]) !== before
  if (changed && list[i].kind === 'Kustomization') runControllers(state, t.name, env?.FAKE_STATE_DIR)
  return { code: 0, stdout: `${singularName(list[i].kind)}/${name} ${changed ? 'patched' : 'patched (no change)'}\n` }
}
