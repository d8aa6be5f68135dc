// kind CLI adapter. Only this file runs `kind`.

import type { Runner } from '../run.mts'

/** `kind version` prints e.g. "kind v0.30.0 go1.24.6 linux/amd64"; undefined when kind is missing. */
export async function kindVersion(r: Runner, step = 'kind'): Promise<string | undefined> {
  const res = await r.run('kind', ['version'], { step, nothrow: true, timeoutMs: 10_000 })
  if (!res.ok) return undefined
  return /v\d+\.\d+\.\d+\S*/.exec(res.stdout)?.[0]
}
