// Fake helm: version only so far; the up/addons tests extend it (helm-ext.mjs).
import { loadExtension } from './extension.mjs'

export default async function helm({ argv, state, stdin }) {
  state.helm ??= { version: 'v3.19.0', releases: {} }
  if (argv[0] === 'version') return { code: 0, stdout: `${state.helm.version}+g3d8990f\n` }
  const extra = await loadExtension('helm')
  if (extra) {
    const r = await extra.default({ argv, state, stdin })
    if (r) return r
  }
  return { code: 1, stderr: `Error: unknown command "${argv[0]}" for "helm"\nRun 'helm --help' for usage.\n` }
}
