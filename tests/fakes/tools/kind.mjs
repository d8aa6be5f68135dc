// Fake kind: version only so far; the cluster-layer tests extend it (kind-ext.mjs).
import { loadExtension } from './extension.mjs'

export default async function kind({ argv, state, stdin, env }) {
  state.kind ??= { version: 'v0.30.0', clusters: {} }
  if (argv[0] === 'version') return { code: 0, stdout: `kind ${state.kind.version} go1.24.6 linux/amd64\n` }
  const extra = await loadExtension('kind')
  if (extra) {
    const r = await extra.default({ argv, state, stdin, env })
    if (r) return r
  }
  return { code: 1, stderr: `ERROR: unknown command "${argv[0]}" for "kind"\n` }
}
