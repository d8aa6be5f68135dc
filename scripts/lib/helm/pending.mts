// A release whose last revision is pending-install|pending-upgrade|pending-rollback blocks every later
// `helm upgrade` (Helm v3.19 pkg/action/upgrade.go prepareUpgrade: `if lastRelease.Info.Status.IsPending() {
// return ..., errPending }`, "another operation (install/upgrade/rollback) is in progress"). That is Helm's lock:
// a helm process (or Flux's helm-controller) working on the release right now. It is left behind for good when
// that process died mid-way (SIGKILL, OOM, a lost API connection); helm's own timeout had ended it by then.
//
// So, pure:
//  - younger than the timeout the operation had: it may still be running; stop and say what to run;
//  - pending-install with no revision that ever worked: uninstall it (there is nothing to keep), then install;
//  - pending-upgrade|pending-rollback: roll back to the last deployed revision (what still runs), then upgrade;
//    no deployed revision to return to: stop, with the commands to choose one.

import type { HelmHistoryEntry, HelmReleaseInfo } from '../tools/helm.mts'

export const PENDING_STATUSES = ['pending-install', 'pending-upgrade', 'pending-rollback'] as const
export const isPending = (status: string | undefined): boolean => (PENDING_STATUSES as readonly string[]).includes(status ?? '')

export type PendingRecovery =
  | { action: 'rollback'; revision: number; command: string; reason: string }
  | { action: 'uninstall'; command: string; reason: string }
  | { action: 'stop'; reason: string; command: string }

export interface PendingInput {
  name: string
  namespace: string
  context: string
  /** the release as `helm list --all` shows it (its last revision) */
  current: HelmReleaseInfo
  /** `helm history` (any order) */
  history: HelmHistoryEntry[]
  now: number
  /** how long the operation that left it pending could have run (the release's helm timeout) */
  quietMs: number
}

/**
 * When a revision was written: `helm history -o json` prints RFC 3339 ("2026-01-02T03:04:05.123456789+02:00"),
 * `helm list` Go's time.String() ("2026-01-02 03:04:05.123456789 +0200 CEST"). Pure; undefined when neither.
 */
export function parseHelmTime(text: string | undefined): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?/.exec(text?.trim() ?? '')
  if (!m) return undefined
  const frac = (m[3] ?? '').padEnd(3, '0').slice(0, 3)
  const zone = !m[4] || m[4] === 'Z' ? 'Z' : m[4].includes(':') ? m[4] : `${m[4].slice(0, 3)}:${m[4].slice(3)}`
  const t = Date.parse(`${m[1]}T${m[2]}.${frac}${zone}`)
  return Number.isNaN(t) ? undefined : t
}

const ago = (ms: number) => (ms < 120_000 ? `${Math.max(0, Math.round(ms / 1000))}s` : ms < 7_200_000 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 3_600_000)}h`)

export function planPendingRecovery(i: PendingInput): PendingRecovery | undefined {
  if (!isPending(i.current.status)) return undefined
  const where = `--namespace ${i.namespace} --kube-context ${i.context}`
  const history = [...i.history].sort((a, b) => a.revision - b.revision)
  const last = history.at(-1)
  const revision = last?.revision ?? Number(i.current.revision)
  const since = parseHelmTime(last?.updated) ?? parseHelmTime(i.current.updated)
  const what = `helm release ${i.namespace}/${i.name} is ${i.current.status} (revision ${revision}`
  const deployed = history.filter((h) => h.revision < revision && h.status === 'deployed').at(-1)
  const worked = history.some((h) => h.revision < revision && ['deployed', 'superseded'].includes(h.status))
  const fix = i.current.status === 'pending-install' && !worked
    ? `helm uninstall ${i.name} ${where}`
    : deployed ? `helm rollback ${i.name} ${deployed.revision} ${where}` : `helm history ${i.name} ${where}`
  if (since === undefined || i.now - since < i.quietMs) {
    const age = since === undefined ? 'at an unknown time' : `${ago(i.now - since)} ago`
    return {
      action: 'stop',
      reason: `${what}, started ${age}): a helm or Flux operation may still be running on it (it gets ${ago(i.quietMs)})`,
      command: fix,
    }
  }
  const stale = `${what}, left ${ago(i.now - since)} ago by an operation that never finished)`
  if (i.current.status === 'pending-install' && !worked) return { action: 'uninstall', command: fix, reason: `${stale}: nothing of it ever worked` }
  if (!deployed) return { action: 'stop', reason: `${stale}: no deployed revision to return to`, command: `${fix}, then helm rollback ${i.name} <REVISION> ${where} (or helm uninstall ${i.name} ${where})` }
  return { action: 'rollback', revision: deployed.revision, command: fix, reason: `${stale}: revision ${deployed.revision} is the one that runs` }
}
