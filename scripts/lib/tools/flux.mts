// flux CLI adapter. Only this file runs `flux`.

import type { Runner } from '../run.mts'

/** `flux version --client` prints "flux: v2.7.2". */
export async function fluxClientVersion(r: Runner, step = 'flux'): Promise<string | undefined> {
  const res = await r.run('flux', ['version', '--client'], { step, nothrow: true, timeoutMs: 10_000 })
  if (!res.ok) return undefined
  return /v\d+\.\d+\.\d+\S*/.exec(res.stdout)?.[0]
}
