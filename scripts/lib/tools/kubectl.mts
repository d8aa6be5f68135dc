// kubectl adapter. Only this file runs `kubectl`. Every cluster call names its --context explicitly,
// so a current-context that points elsewhere (a cloud cluster) is never touched by accident.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { EXIT, StepError } from '../shell/errors.mts'
import { lastLine, versionProbe, withMargin, type Runner, type RunResult, type Started, type VersionProbe } from '../shell/run.mts'
import { originWrapper } from '../validate/origin.mts'

/** `kubectl version --client -o json`: the client's gitVersion; otherwise why not (missing, hung, failed). */
export async function kubectlClientVersion(r: Runner, step = 'kubectl'): Promise<VersionProbe> {
  const res = await r.run('kubectl', ['version', '--client', '-o', 'json'], { step, nothrow: true, timeoutMs: 10_000 })
  let version: string | undefined
  try { version = (JSON.parse(res.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion } catch { /* no JSON: no version */ }
  return versionProbe(res, version, 10_000)
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

export interface PortForwardArgs {
  context: string
  namespace: string
  /** svc/demo, pod/demo-abc, deploy/demo */
  resource: string
  localPort: number
  remotePort: number | string
  step: string
}

/** Long-running `kubectl port-forward` bound to 127.0.0.1 only; the caller owns its lifecycle (lib/forward/portforward.mts). */
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

/**
 * Context names in the kubeconfig (`kubectl config get-contexts -o name`). Read-only. `down` passes its
 * context so that no kubectl argv of its lacks --context (config commands ignore it).
 */
export async function kubeContexts(r: Runner, step = 'kubectl', context?: string): Promise<string[]> {
  const res = await r.run('kubectl', [...(context ? ['--context', context] : []), 'config', 'get-contexts', '-o', 'name'], { step, nothrow: true, timeoutMs: 15_000 })
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

export interface NodeReadiness { name: string; ready: string; reason?: string; message?: string }

/**
 * Every Node's Ready condition (`kubectl get nodes -o json`): status True/False/Unknown with its reason. `ok` false
 * (and the error) when the API server does not answer. Read-only.
 */
export async function nodeReadiness(r: Runner, context: string, step = 'kubectl'): Promise<{ ok: boolean; nodes: NodeReadiness[]; error?: string }> {
  const res = await kubectlGetJson<{ items?: KubeObject[] }>(r, context, ['nodes', '--request-timeout=15s'], step, 30_000)
  if (!res.ok) return { ok: false, nodes: [], error: res.error }
  const nodes = (res.data?.items ?? []).map((n): NodeReadiness => {
    const c = ((n.status?.conditions ?? []) as { type?: string; status?: string; reason?: string; message?: string }[]).find((x) => x.type === 'Ready')
    return { name: n.metadata.name, ready: c?.status ?? 'Unknown', ...(c?.reason ? { reason: c.reason } : {}), ...(c?.message ? { message: c.message } : {}) }
  })
  return { ok: true, nodes }
}

/** One object as parsed JSON, or undefined when it does not exist or cannot be read. Read-only. */
export async function getObject<T = unknown>(r: Runner, context: string, kind: string, name: string, namespace: string | undefined, step = 'kubectl'): Promise<T | undefined> {
  const ns = namespace ? ['-n', namespace] : []
  const res = await r.run('kubectl', ['--context', context, ...ns, 'get', kind, name, '-o', 'json', '--ignore-not-found'], { step, nothrow: true, timeoutMs: 30_000 })
  if (!res.ok || !res.stdout.trim()) return undefined
  try { return JSON.parse(res.stdout) as T } catch { return undefined }
}

const secs = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))}s`

// ---- Flux objects, server-side apply, rollouts, diffs (up, sync, status, diagnostics) ----

export interface KubeObject {
  apiVersion?: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; generation?: number; creationTimestamp?: string; [k: string]: unknown }
  spec?: any
  status?: any
  [k: string]: unknown
}

export interface GetResult<T> { ok: boolean; data?: T; error: string }


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
  const res = await r.run('kubectl', ['--context', context, 'rollout', 'status', `deployment/${deployment}`, '-n', namespace, `--timeout=${Math.ceil(timeoutMs / 1000)}s`], { step, nothrow: true, timeoutMs: withMargin(timeoutMs) })
  return { ok: res.ok, message: lastLine(res.ok ? res.stdout : res.stderr) }
}

/** `kubectl wait <what> --for=<cond>`. Read-only. */
export async function kubectlWait(r: Runner, context: string, args: string[], condition: string, timeoutMs: number, step = 'kubectl'): Promise<{ ok: boolean; message: string }> {
  const res = await r.run('kubectl', ['--context', context, 'wait', ...args, `--for=${condition}`, `--timeout=${Math.ceil(timeoutMs / 1000)}s`], { step, nothrow: true, timeoutMs: withMargin(timeoutMs) })
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

// ---- kubeconfig and namespaces (down) ----

/** The kubeconfig's current-context ('' when unset); `--context` does not change what it prints. Read-only. */
export async function currentContext(r: Runner, context: string, step = 'kubectl'): Promise<string> {
  const res = await r.run('kubectl', ['--context', context, 'config', 'current-context'], { step, nothrow: true, timeoutMs: 15_000 })
  return res.ok ? res.stdout.trim() : ''
}

/** Remove one context entry from the kubeconfig (never the current-context setting of another). Mutating. */
export async function deleteContext(r: Runner, context: string, step = 'kubectl'): Promise<'removed' | 'absent'> {
  const res = await r.run('kubectl', ['--context', context, 'config', 'delete-context', context], { step, mutating: true, nothrow: true, timeoutMs: 15_000 })
  if (res.ok) return 'removed'
  if (/cannot delete context|not in/i.test(res.stderr)) return 'absent'
  throw new StepError({ step, message: `cannot remove kube context ${context}: ${lastLine(res.stderr)}`, command: `kubectl config delete-context ${context}`, hint: 'check that the kubeconfig file is writable', exitCode: EXIT.commandFailed })
}

/** Namespace names, or an error when the API server does not answer. Read-only. */
export async function namespaceNames(r: Runner, context: string, step = 'kubectl'): Promise<string[]> {
  const res = await r.run('kubectl', ['--context', context, 'get', 'namespaces', '-o', 'name', '--request-timeout=20s'], { step, nothrow: true, timeoutMs: 30_000 })
  if (!res.ok) {
    throw new StepError({ step, message: `cannot list namespaces in context ${context}: ${lastLine(res.stderr)}`, command: `kubectl --context ${context} get namespaces`, hint: 'is the cluster reachable? nothing was deleted', exitCode: EXIT.precondition })
  }
  return res.stdout.split('\n').map((l) => l.trim().replace(/^namespaces?\//, '')).filter(Boolean)
}

/**
 * What `kubectl delete ... --ignore-not-found` reports: kubectl prints `<kind> "<name>" deleted` per object it
 * deleted, and "No resources found" on stdout when a list (--all, -l) matched nothing (delete.go
 * DeleteResult: `if found == 0 { fmt.Fprintf(o.Out, "No resources found\n") }`); a missing named object prints
 * nothing. Only a "deleted" line means something was removed. Pure.
 */
export function deletedSomething(stdout: string): boolean {
  return stdout.split('\n').some((l) => /^\S+ "[^"]+" (force )?deleted$/.test(l.trim()))
}

/** Delete a namespace and wait until it is gone (everything in it goes too). Mutating. */
export async function deleteNamespace(r: Runner, context: string, name: string, timeoutMs: number, step = 'kubectl'): Promise<'removed' | 'absent'> {
  const res = await r.run('kubectl', ['--context', context, 'delete', 'namespace', name, '--ignore-not-found', '--wait=true', `--timeout=${secs(timeoutMs)}`], { step, mutating: true, timeoutMs: withMargin(timeoutMs) })
  return res.dryRun || deletedSomething(res.stdout) ? 'removed' : 'absent'
}

/**
 * Delete every Flux Kustomization in flux-system and wait: kustomize-controller garbage-collects (prune: true)
 * what each applied, so the workloads go with them instead of being orphaned by `flux uninstall`. Mutating.
 */
export async function deleteFluxKustomizations(r: Runner, context: string, timeoutMs: number, step = 'flux'): Promise<'removed' | 'absent'> {
  const res = await r.run('kubectl', ['--context', context, '-n', 'flux-system', 'delete', 'kustomizations.kustomize.toolkit.fluxcd.io', '--all', '--ignore-not-found', '--wait=true', `--timeout=${secs(timeoutMs)}`], { step, mutating: true, timeoutMs: withMargin(timeoutMs) })
  return res.dryRun || deletedSomething(res.stdout) ? 'removed' : 'absent'
}

// ---- network-policy prober ----

const STEP = 'netpol'

export async function getAllJson(r: Runner, context: string, resource: 'namespaces' | 'pods' | 'networkpolicies', namespace?: string): Promise<unknown> {
  const scope = namespace ? ['-n', namespace] : ['-A']
  const res = await r.run('kubectl', ['--context', context, 'get', resource, ...scope, '-o', 'json'], {
    step: `${STEP}/read-cluster`,
    timeoutMs: 60_000,
    retries: 2,
    retryDelayMs: 1000,
    hint: `check that the cluster behind context ${context} is reachable (kubectl --context ${context} get nodes)`,
  })
  return JSON.parse(res.stdout) as unknown
}

export interface DebugOptions {
  namespace: string
  pod: string
  container: string
  image: string
  /** file with the container spec fragment kubectl merges in (--custom) */
  customFile: string
}

/**
 * `kubectl debug --custom` only exists when the client's DebugCustomProfile gate lets it: 1.30 registers the flag
 * only with KUBECTL_DEBUG_CUSTOM_PROFILE=true, 1.31-1.32 drop it when the variable is "false" (`if
 * !cmdutil.DebugCustomProfile.IsDisabled()`), 1.33+ ignore it. Setting it to true is what every client accepts,
 * whatever the user's environment says; doctor still asks for a client within the supported skew.
 */
export const DEBUG_CUSTOM_ENV = { KUBECTL_DEBUG_CUSTOM_PROFILE: 'true' } as const

/** Adds an ephemeral container that idles (agnhost pause) so later execs can probe from the pod's netns. */
export async function addProbeContainer(r: Runner, context: string, o: DebugOptions): Promise<RunResult> {
  return r.run(
    'kubectl',
    ['--context', context, 'debug', '-n', o.namespace, o.pod, `--container=${o.container}`, `--image=${o.image}`, '--image-pull-policy=IfNotPresent', '--profile=restricted', `--custom=${o.customFile}`, '--', '/agnhost', 'pause'],
    { step: `${STEP}/probe-container`, mutating: true, nothrow: true, timeoutMs: 60_000, env: { ...DEBUG_CUSTOM_ENV } },
  )
}

export async function execScript(r: Runner, context: string, namespace: string, pod: string, container: string, script: string, timeoutMs: number): Promise<RunResult> {
  return r.run('kubectl', ['--context', context, 'exec', '-n', namespace, pod, '-c', container, '--', 'sh', '-c', script], {
    step: `${STEP}/probe`,
    nothrow: true,
    timeoutMs,
  })
}
