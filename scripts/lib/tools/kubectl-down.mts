// kubectl calls of `down`. A separate adapter file next to kubectl.mts. EVERY call names --context, also the
// kubeconfig ones (`config ...` ignores it, so it is harmless there): an argv without it never leaves this file.

import { EXIT, StepError } from '../errors.mts'
import type { Runner } from '../run.mts'

const lastLine = (s: string) => s.trim().split('\n').filter(Boolean).at(-1) ?? ''
const secs = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))}s`

/** Context names in the kubeconfig. Read-only. */
export async function contextNames(r: Runner, context: string, step = 'kubectl'): Promise<string[]> {
  const res = await r.run('kubectl', ['--context', context, 'config', 'get-contexts', '-o', 'name'], { step, nothrow: true, timeoutMs: 15_000 })
  return res.ok ? res.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : []
}

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

/** Delete a namespace and wait until it is gone (everything in it goes too). Mutating. */
export async function deleteNamespace(r: Runner, context: string, name: string, timeoutMs: number, step = 'kubectl'): Promise<'removed' | 'absent'> {
  const res = await r.run('kubectl', ['--context', context, 'delete', 'namespace', name, '--ignore-not-found', '--wait=true', `--timeout=${secs(timeoutMs)}`], { step, mutating: true, timeoutMs: timeoutMs + 30_000 })
  return res.dryRun || res.stdout.trim() ? 'removed' : 'absent'
}

/**
 * Delete every Flux Kustomization in flux-system and wait: kustomize-controller garbage-collects (prune: true)
 * what each applied, so the workloads go with them instead of being orphaned by `flux uninstall`. Mutating.
 */
export async function deleteFluxKustomizations(r: Runner, context: string, timeoutMs: number, step = 'flux'): Promise<'removed' | 'absent'> {
  const res = await r.run('kubectl', ['--context', context, '-n', 'flux-system', 'delete', 'kustomizations.kustomize.toolkit.fluxcd.io', '--all', '--ignore-not-found', '--wait=true', `--timeout=${secs(timeoutMs)}`], { step, mutating: true, timeoutMs: timeoutMs + 30_000 })
  return res.dryRun || res.stdout.trim() ? 'removed' : 'absent'
}
