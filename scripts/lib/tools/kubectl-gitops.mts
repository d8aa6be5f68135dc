// kubectl calls of up/sync/status/diagnostics (Flux objects, server-side apply, rollouts, logs). A separate
// adapter file next to kubectl.mts so areas do not edit each other's functions; same rules: only the runner
// spawns, every call names --context, mutating calls say so.

import type { Runner } from '../run.mts'

export interface KubeObject {
  apiVersion?: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; generation?: number; creationTimestamp?: string; [k: string]: unknown }
  spec?: any
  status?: any
  [k: string]: unknown
}

export interface GetResult<T> { ok: boolean; data?: T; error: string }

const lastLine = (s: string) => s.trim().split('\n').filter(Boolean).at(-1) ?? ''

/** `kubectl get <args> -o json`, parsed. nothrow: pollers and status screens show the error instead of stopping. */
export async function kubectlGetJson<T = { items: KubeObject[] }>(r: Runner, context: string, args: string[], step = 'kubectl', timeoutMs = 30_000): Promise<GetResult<T>> {
  const res = await r.run('kubectl', ['--context', context, 'get', ...args, '-o', 'json'], { step, nothrow: true, timeoutMs })
  if (!res.ok) return { ok: false, error: lastLine(res.stderr) || `exit ${res.exitCode}` }
  const text = res.stdout.trim()
  if (!text) return { ok: true, data: { items: [] } as T, error: '' }
  try {
    return { ok: true, data: JSON.parse(text) as T, error: '' }
  } catch {
    return { ok: false, error: 'kubectl printed something that is not JSON' }
  }
}

/** Items of a list query; [] when the kinds are not installed yet (no CRDs) or the cluster is unreachable. */
export async function kubectlList(r: Runner, context: string, args: string[], step = 'kubectl'): Promise<{ items: KubeObject[]; error: string }> {
  const res = await kubectlGetJson<{ items?: KubeObject[] }>(r, context, args, step)
  return { items: res.data?.items ?? [], error: res.error }
}

/** Any read-only kubectl command, output captured (diagnostics). Never throws for a failed command. */
export async function kubectlRead(r: Runner, context: string, args: string[], step = 'kubectl', timeoutMs = 60_000): Promise<{ ok: boolean; text: string }> {
  const res = await r.run('kubectl', ['--context', context, ...args], { step, nothrow: true, timeoutMs })
  return { ok: res.ok, text: res.ok ? res.stdout : `${res.stdout}${res.stderr}` }
}

export interface ApplyOptions {
  fieldManager: string
  /** take over fields another manager owns (our own earlier applies under another name) */
  forceConflicts?: boolean
}

/** `kubectl apply --server-side -f -` with the manifests on stdin. Mutating. */
export async function kubectlApplyServerSide(r: Runner, context: string, yaml: string, o: ApplyOptions, step = 'kubectl'): Promise<string> {
  const res = await r.run('kubectl', ['--context', context, 'apply', '--server-side', `--field-manager=${o.fieldManager}`, ...(o.forceConflicts ? ['--force-conflicts'] : []), '-f', '-'], {
    step, mutating: true, input: yaml, timeoutMs: 120_000, retries: 2, retryDelayMs: 2000,
  })
  return res.stdout
}

/** `kubectl delete <kind> <name> -n <ns> --ignore-not-found`. Mutating. */
export async function kubectlDelete(r: Runner, context: string, kind: string, name: string, namespace: string, step = 'kubectl'): Promise<void> {
  await r.run('kubectl', ['--context', context, 'delete', kind, name, '-n', namespace, '--ignore-not-found', '--wait=false'], { step, mutating: true, timeoutMs: 60_000 })
}

/** `kubectl rollout status deployment/<name>`: waits until the rollout is complete or the timeout passes. Read-only. */
export async function kubectlRolloutStatus(r: Runner, context: string, namespace: string, deployment: string, timeoutMs: number, step = 'kubectl'): Promise<{ ok: boolean; message: string }> {
  const res = await r.run('kubectl', ['--context', context, 'rollout', 'status', `deployment/${deployment}`, '-n', namespace, `--timeout=${Math.ceil(timeoutMs / 1000)}s`], { step, nothrow: true, timeoutMs: timeoutMs + 15_000 })
  return { ok: res.ok, message: lastLine(res.ok ? res.stdout : res.stderr) }
}

/** `kubectl wait <what> --for=<cond>`. Read-only. */
export async function kubectlWait(r: Runner, context: string, args: string[], condition: string, timeoutMs: number, step = 'kubectl'): Promise<{ ok: boolean; message: string }> {
  const res = await r.run('kubectl', ['--context', context, 'wait', ...args, `--for=${condition}`, `--timeout=${Math.ceil(timeoutMs / 1000)}s`], { step, nothrow: true, timeoutMs: timeoutMs + 15_000 })
  return { ok: res.ok, message: lastLine(res.ok ? res.stdout : res.stderr) }
}

export interface DiffResult {
  /** true when applying would change something (or the comparison failed: then apply and let it report) */
  changed: boolean
  /** kubectl diff output (Secret values masked by kubectl), or the error */
  text: string
  error?: string
}

/**
 * `kubectl diff --server-side -f -`: what a server-side apply by this field manager would change. Exit 0 = no
 * change, 1 = differences, anything else = could not compare. Read-only.
 */
export async function kubectlDiffServerSide(r: Runner, context: string, yaml: string, fieldManager: string, step = 'kubectl'): Promise<DiffResult> {
  const res = await r.run('kubectl', ['--context', context, 'diff', '--server-side', `--field-manager=${fieldManager}`, '--force-conflicts', '-f', '-'], { step, nothrow: true, input: yaml, timeoutMs: 120_000 })
  if (res.exitCode === 0) return { changed: false, text: '' }
  if (res.exitCode === 1) return { changed: true, text: res.stdout }
  return { changed: true, text: '', error: lastLine(res.stderr) || `exit ${res.exitCode}` }
}

/** `kubectl patch <kind> <name> --type=merge -p <json>` under our field manager (which Flux does not undo). Mutating. */
export async function kubectlMergePatch(r: Runner, context: string, kind: string, name: string, namespace: string, patch: unknown, fieldManager: string, step = 'kubectl'): Promise<void> {
  await r.run('kubectl', ['--context', context, 'patch', kind, name, '-n', namespace, '--type=merge', `--field-manager=${fieldManager}`, '-p', JSON.stringify(patch)], { step, mutating: true, timeoutMs: 60_000, retries: 1 })
}
