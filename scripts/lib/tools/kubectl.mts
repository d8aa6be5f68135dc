// kubectl adapter. Only this file runs `kubectl`. Every cluster call names its --context explicitly,
// so a current-context that points elsewhere (a cloud cluster) is never touched by accident.

import type { Runner } from '../run.mts'

export async function kubectlClientVersion(r: Runner, step = 'kubectl'): Promise<string | undefined> {
  const res = await r.run('kubectl', ['version', '--client', '-o', 'json'], { step, nothrow: true, timeoutMs: 10_000 })
  if (!res.ok) return undefined
  try {
    return (JSON.parse(res.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion
  } catch {
    return undefined
  }
}

/** `kubectl kustomize` with the options Flux's kustomize-controller uses. Read-only: runs under --dry-run. */
export async function kustomizeBuild(r: Runner, dir: string, step = 'kustomize'): Promise<string> {
  const res = await r.run('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', dir], { step, timeoutMs: 60_000 })
  return res.stdout
}
