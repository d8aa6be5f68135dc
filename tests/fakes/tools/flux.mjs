// Fake flux: version only so far; the up/flux tests extend it (flux-ext.mjs).
import { loadExtension } from './extension.mjs'

export default async function flux({ argv, state, stdin, env }) {
  state.flux ??= { version: 'v2.7.2' }
  if (argv[0] === 'version' && argv.includes('--client')) return { code: 0, stdout: `flux: ${state.flux.version}\n` }
  const extra = await loadExtension('flux')
  if (extra) {
    const r = await extra.default({ argv, state, stdin, env })
    if (r) return r
  }
  return { code: 1, stderr: `✗ unknown command "${argv[0]}" for "flux"\n` }
}
