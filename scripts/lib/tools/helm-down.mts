// helm calls of `down`. A separate adapter file next to helm.mts; every call names --kube-context.

import { EXIT, StepError } from '../errors.mts'
import type { Runner } from '../run.mts'

/** `helm uninstall --wait`: a release that is gone counts as removed. Mutating. */
export async function helmUninstall(r: Runner, context: string, name: string, namespace: string, timeoutMs: number, step = 'helm'): Promise<'removed' | 'absent'> {
  const args = ['uninstall', name, '--namespace', namespace, '--wait', '--timeout', `${Math.max(1, Math.ceil(timeoutMs / 1000))}s`, '--kube-context', context]
  const res = await r.run('helm', args, { step, mutating: true, nothrow: true, timeoutMs: timeoutMs + 30_000 })
  if (res.ok) return 'removed'
  if (/not found/i.test(res.stderr)) return 'absent'
  const last = res.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${res.exitCode}`
  throw new StepError({ step, message: `helm uninstall ${namespace}/${name} failed: ${last}`, command: `helm ${args.join(' ')}`, hint: `see helm status ${name} -n ${namespace} --kube-context ${context}`, exitCode: EXIT.commandFailed })
}

/** Releases (any status) as namespace/name pairs; fails when the cluster cannot be asked. Read-only. */
export async function helmReleaseNames(r: Runner, context: string, step = 'helm'): Promise<{ name: string; namespace: string }[]> {
  const args = ['list', '--all-namespaces', '--all', '--output', 'json', '--kube-context', context]
  const res = await r.run('helm', args, { step, nothrow: true, timeoutMs: 60_000 })
  if (!res.ok) {
    const last = res.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${res.exitCode}`
    throw new StepError({ step, message: `cannot list Helm releases in context ${context}: ${last}`, command: `helm ${args.join(' ')}`, hint: 'is the cluster reachable? nothing was deleted', exitCode: res.exitCode === 127 ? EXIT.missingTool : EXIT.precondition })
  }
  const list = JSON.parse(res.stdout.trim() || '[]') as { name: string; namespace: string }[] | null
  return (list ?? []).map((x) => ({ name: x.name, namespace: x.namespace }))
}
