// helm CLI adapter. Only this file runs `helm`.

import { EXIT, StepError } from '../shell/errors.mts'
import { lastLine, versionProbe, withMargin, type Runner, type VersionProbe } from '../shell/run.mts'

/** `helm version --short` prints e.g. "v3.19.0+g3d8990f"; otherwise why not (missing, hung, failed). */
export async function helmVersion(r: Runner, step = 'helm'): Promise<VersionProbe> {
  const res = await r.run('helm', ['version', '--short'], { step, nothrow: true, timeoutMs: 10_000 })
  return versionProbe(res, /v\d+\.\d+\.\d+/.exec(res.stdout)?.[0], 10_000)
}

// ---- up/addons: releases installed by the scripts (helm upgrade --install) ----

export interface HelmReleaseInfo {
  name: string
  namespace: string
  revision: string
  updated: string
  /** deployed | failed | pending-install | pending-upgrade | pending-rollback | superseded | uninstalling */
  status: string
  /** "<chart>-<version>", e.g. metrics-server-3.13.0 */
  chart: string
  app_version: string
}

/** `helm list -A --all -o json`: every release in every namespace, whatever its status. Read-only. */
export async function helmList(r: Runner, context: string, step = 'helm'): Promise<{ ok: boolean; releases: HelmReleaseInfo[]; error: string; exitCode: number }> {
  const res = await r.run('helm', ['list', '--all-namespaces', '--all', '--output', 'json', '--kube-context', context], { step, timeoutMs: 60_000, nothrow: true })
  if (!res.ok) return { ok: false, releases: [], error: lastLine(res.stderr) || `exit ${res.exitCode}`, exitCode: res.exitCode }
  const text = res.stdout.trim()
  return { ok: true, releases: text ? (JSON.parse(text) as HelmReleaseInfo[] | null) ?? [] : [], error: '', exitCode: 0 }
}

/** `helm get values <release> -o json`: the user-supplied values of the current revision (null when none). Read-only. */
export async function helmGetValues(r: Runner, context: string, name: string, namespace: string, step = 'helm'): Promise<Record<string, unknown> | undefined> {
  const res = await r.run('helm', ['get', 'values', name, '--namespace', namespace, '--output', 'json', '--kube-context', context], { step, timeoutMs: 60_000, nothrow: true })
  if (!res.ok) return undefined
  const parsed = JSON.parse(res.stdout.trim() || 'null') as Record<string, unknown> | null
  return parsed ?? {}
}

export interface HelmUpgradeOptions {
  release: string
  namespace: string
  /** chart reference and the flags that pin it (addons.chartArgs) */
  chart: string[]
  valuesFiles: string[]
  timeoutMs: number
  /** Helm 4 renamed --atomic to --rollback-on-failure; pick by the installed major version */
  rollbackFlag: '--rollback-on-failure' | '--atomic'
  skipCrds?: boolean
  /** inline values, passed as one extra values file on stdin ("-f -") */
  valuesYaml?: string
}

export function helmUpgradeArgs(context: string, o: HelmUpgradeOptions): string[] {
  return [
    'upgrade', '--install', o.release, ...o.chart,
    '--namespace', o.namespace, '--create-namespace',
    ...o.valuesFiles.flatMap((f) => ['--values', f]),
    ...(o.valuesYaml ? ['--values', '-'] : []),
    ...(o.skipCrds ? ['--skip-crds'] : []),
    '--wait', '--timeout', `${Math.ceil(o.timeoutMs / 1000)}s`, o.rollbackFlag,
    '--history-max', '5',
    '--kube-context', context,
  ]
}

/** `helm upgrade --install ... --wait --timeout T --rollback-on-failure`. Mutating. */
export async function helmUpgradeInstall(r: Runner, context: string, o: HelmUpgradeOptions, step = 'helm'): Promise<string> {
  const res = await r.run('helm', helmUpgradeArgs(context, o), {
    step,
    mutating: true,
    input: o.valuesYaml,
    // helm's own --timeout bounds the wait; ours only catches a hung client
    timeoutMs: withMargin(o.timeoutMs),
    hint: `see \`helm status ${o.release} -n ${o.namespace}\` and the pods in namespace ${o.namespace}`,
  })
  return res.stdout
}

export interface HelmHistoryEntry {
  revision: number
  /** RFC 3339 (helm's time.Time in JSON) */
  updated: string
  /** deployed | superseded | failed | pending-install | pending-upgrade | pending-rollback | uninstalled | ... */
  status: string
  chart: string
  app_version: string
  description: string
}

/** `helm history <release> -o json`: every stored revision, oldest first (cmd/helm/history.go). Read-only. */
export async function helmHistory(r: Runner, context: string, name: string, namespace: string, step = 'helm'): Promise<{ ok: boolean; entries: HelmHistoryEntry[]; error: string }> {
  const res = await r.run('helm', ['history', name, '--namespace', namespace, '--max', '256', '--output', 'json', '--kube-context', context], { step, timeoutMs: 60_000, nothrow: true })
  if (!res.ok) return { ok: false, entries: [], error: lastLine(res.stderr) || `exit ${res.exitCode}` }
  try {
    const list = (JSON.parse(res.stdout.trim() || '[]') as HelmHistoryEntry[] | null) ?? []
    return { ok: true, entries: [...list].sort((a, b) => a.revision - b.revision), error: '' }
  } catch {
    return { ok: false, entries: [], error: 'helm history printed something that is not JSON' }
  }
}

export const helmRollbackArgs = (context: string, name: string, namespace: string, revision: number, timeoutMs: number): string[] =>
  ['rollback', name, String(revision), '--namespace', namespace, '--wait', '--timeout', `${Math.max(1, Math.ceil(timeoutMs / 1000))}s`, '--kube-context', context]

/** `helm rollback <release> <revision> --wait`: back to a revision that worked. Mutating. */
export async function helmRollback(r: Runner, context: string, name: string, namespace: string, revision: number, timeoutMs: number, step = 'helm'): Promise<void> {
  await r.run('helm', helmRollbackArgs(context, name, namespace, revision, timeoutMs), {
    step, mutating: true, timeoutMs: timeoutMs + 120_000,
    hint: `see \`helm history ${name} -n ${namespace} --kube-context ${context}\``,
  })
}

/** The rollback flag this helm understands: --rollback-on-failure from Helm 4, --atomic before. */
export function rollbackFlagFor(version: string | undefined): '--rollback-on-failure' | '--atomic' {
  const major = Number(/v?(\d+)\./.exec(version ?? '')?.[1] ?? 3)
  return major >= 4 ? '--rollback-on-failure' : '--atomic'
}

// ---- down: releases up installed ----

/** Releases (any status) as namespace/name pairs; fails when the cluster cannot be asked. Read-only. */
export async function helmReleaseNames(r: Runner, context: string, step = 'helm'): Promise<{ name: string; namespace: string }[]> {
  const list = await helmList(r, context, step)
  if (!list.ok) {
    throw new StepError({ step, message: `cannot list Helm releases in context ${context}: ${list.error}`, command: `helm list --all-namespaces --all --output json --kube-context ${context}`, hint: 'is the cluster reachable? nothing was deleted', exitCode: list.exitCode === 127 ? EXIT.missingTool : EXIT.precondition })
  }
  return list.releases.map((x) => ({ name: x.name, namespace: x.namespace }))
}

/** `helm uninstall --wait`: a release that is gone counts as removed. Mutating. */
export async function helmUninstall(r: Runner, context: string, name: string, namespace: string, timeoutMs: number, step = 'helm'): Promise<'removed' | 'absent'> {
  const args = ['uninstall', name, '--namespace', namespace, '--wait', '--timeout', `${Math.max(1, Math.ceil(timeoutMs / 1000))}s`, '--kube-context', context]
  const res = await r.run('helm', args, { step, mutating: true, nothrow: true, timeoutMs: withMargin(timeoutMs) })
  if (res.ok) return 'removed'
  if (/not found/i.test(res.stderr)) return 'absent'
  const last = lastLine(res.stderr) || `exit ${res.exitCode}`
  throw new StepError({ step, message: `helm uninstall ${namespace}/${name} ${res.timedOut ? last : `failed: ${last}`}`, command: `helm ${args.join(' ')}`, hint: `see helm status ${name} -n ${namespace} --kube-context ${context}`, exitCode: res.timedOut ? EXIT.timeout : EXIT.commandFailed })
}
