// helm CLI adapter. Only this file runs `helm`.

import type { Runner } from '../run.mts'

/** `helm version --short` prints e.g. "v3.19.0+g3d8990f". */
export async function helmVersion(r: Runner, step = 'helm'): Promise<string | undefined> {
  const res = await r.run('helm', ['version', '--short'], { step, nothrow: true, timeoutMs: 10_000 })
  if (!res.ok) return undefined
  return /v\d+\.\d+\.\d+/.exec(res.stdout)?.[0]
}
