// flux calls of `down`. A separate adapter file next to flux.mts; every call names --context.

import type { Runner } from '../run.mts'

/** `flux uninstall --silent`: controllers, CRDs and the flux-system namespace (never prompts). Mutating. */
export async function fluxUninstall(r: Runner, context: string, timeoutMs: number, step = 'flux'): Promise<void> {
  await r.run('flux', ['uninstall', '--silent', '--context', context, `--timeout=${Math.max(1, Math.ceil(timeoutMs / 1000))}s`], { step, mutating: true, timeoutMs: timeoutMs + 30_000 })
}
