// kubectl adapter. Only this file runs `kubectl`. Every cluster call names its --context explicitly,
// so a current-context that points elsewhere (a cloud cluster) is never touched by accident.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Runner, Started } from '../run.mts'
import { originWrapper } from '../validate/origin.mts'

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

/** `kubectl get hpa <name> -o json` (read-only). nothrow: a poller shows why it failed instead of stopping. */
export async function getHpaJson(r: Runner, context: string, namespace: string, name: string, step = 'hpa'): Promise<{ ok: boolean; json: string; error: string }> {
  const res = await r.run('kubectl', ['--context', context, '-n', namespace, 'get', 'hpa', name, '-o', 'json'], { step, nothrow: true, timeoutMs: 10_000 })
  const error = res.ok ? '' : (res.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${res.exitCode}`)
  return { ok: res.ok, json: res.stdout, error }
}

/** `kubectl --context <ctx> get <args> -o json`, parsed. Read-only; never throws for a failed call: the caller
 * gets the last line of kubectl's stderr (e.g. `Error from server (NotFound): ...`) to name in its message. */
export async function kubectlGetJson<T = any>(r: Runner, context: string, args: readonly string[], opts: { step: string; timeoutMs?: number }): Promise<{ ok: boolean; data?: T; error: string }> {
  const res = await r.run('kubectl', ['--context', context, 'get', ...args, '-o', 'json'], { step: opts.step, timeoutMs: opts.timeoutMs ?? 30_000, nothrow: true })
  if (!res.ok) return { ok: false, error: res.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `kubectl exited with ${res.exitCode}` }
  try {
    return { ok: true, data: JSON.parse(res.stdout) as T, error: '' }
  } catch {
    return { ok: false, error: 'kubectl printed no valid JSON' }
  }
}

export interface PortForwardArgs {
  context: string
  namespace: string
  /** svc/demo, pod/demo-abc, deploy/demo */
  resource: string
  localPort: number
  remotePort: number | string
  step: string
}

/** Long-running `kubectl port-forward` bound to 127.0.0.1 only; the caller owns its lifecycle (lib/portforward.mts). */
export function kubectlPortForward(r: Runner, a: PortForwardArgs): Started {
  return r.start('kubectl', ['--context', a.context, '-n', a.namespace, 'port-forward', '--address', '127.0.0.1', a.resource, `${a.localPort}:${a.remotePort}`], { step: a.step })
}

/**
 * `kubectl kustomize` (Flux's options) of `dir` through a throw-away wrapper kustomization that adds origin and
 * transformer annotations, so each rendered object names the file it came from. Read-only: runs under --dry-run.
 * Never throws for a failing build: validate reports the error against the kustomization.
 */
export async function kustomizeBuildWithOrigins(r: Runner, dir: string, step = 'validate'): Promise<{ ok: boolean; stdout: string; stderr: string; originBase: string }> {
  const wrapperDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kustomize-origin-'))
  try {
    fs.writeFileSync(path.join(wrapperDir, 'kustomization.yaml'), originWrapper(wrapperDir, dir))
    const res = await r.run('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', wrapperDir], { step, timeoutMs: 60_000, nothrow: true })
    if (res.exitCode === 127) {
      return { ok: false, stdout: '', stderr: 'kubectl is not installed or not on PATH', originBase: wrapperDir }
    }
    if (!res.ok) {
      // the wrapper's error messages name wrapper-relative paths; the plain build names the real ones
      const plain = await r.run('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', dir], { step, timeoutMs: 60_000, nothrow: true })
      return { ok: false, stdout: plain.stdout, stderr: plain.stderr || res.stderr, originBase: wrapperDir }
    }
    return { ok: true, stdout: res.stdout, stderr: res.stderr, originBase: wrapperDir }
  } finally {
    fs.rmSync(wrapperDir, { recursive: true, force: true })
  }
}

// ---- contexts, reachability, server-side apply (cluster layer) ----

/** Context names in the kubeconfig (`kubectl config get-contexts -o name`). Read-only. */
export async function kubeContexts(r: Runner, step = 'kubectl'): Promise<string[]> {
  const res = await r.run('kubectl', ['config', 'get-contexts', '-o', 'name'], { step, nothrow: true, timeoutMs: 15_000 })
  return res.ok ? res.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : []
}

/** Whether the API server behind a context answers (`kubectl --context X version`). Read-only. */
export async function contextReachable(r: Runner, context: string, step = 'kubectl'): Promise<{ ok: boolean; serverVersion?: string; error?: string }> {
  const res = await r.run('kubectl', ['--context', context, 'version', '-o', 'json', '--request-timeout=15s'], { step, nothrow: true, timeoutMs: 30_000 })
  let serverVersion: string | undefined
  try { serverVersion = (JSON.parse(res.stdout) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion } catch { /* error text only */ }
  if (res.ok && serverVersion) return { ok: true, serverVersion }
  return { ok: false, error: res.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${res.exitCode}` }
}

/** One object as parsed JSON, or undefined when it does not exist or cannot be read. Read-only. */
export async function getObject<T = unknown>(r: Runner, context: string, kind: string, name: string, namespace: string | undefined, step = 'kubectl'): Promise<T | undefined> {
  const ns = namespace ? ['-n', namespace] : []
  const res = await r.run('kubectl', ['--context', context, ...ns, 'get', kind, name, '-o', 'json', '--ignore-not-found'], { step, nothrow: true, timeoutMs: 30_000 })
  if (!res.ok || !res.stdout.trim()) return undefined
  try { return JSON.parse(res.stdout) as T } catch { return undefined }
}

/** `kubectl apply --server-side` of a manifest on stdin, as field manager platform-up. Mutating. */
export async function serverSideApply(r: Runner, context: string, manifest: string, step = 'kubectl'): Promise<void> {
  await r.run('kubectl', ['--context', context, 'apply', '--server-side', '--field-manager=platform-up', '--force-conflicts', '-f', '-'], { step, mutating: true, input: manifest, timeoutMs: 60_000, retries: 2, retryDelayMs: 2000 })
}
