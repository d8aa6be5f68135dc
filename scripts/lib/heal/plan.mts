// Healing a kind cluster whose node containers stopped (a reboot, a Docker restart, a laptop that slept): which
// containers to start in which order, which nodes did not come back and how to say so. Pure: the cluster phase
// feeds it what docker inspect and kubectl saw; lib/heal/heal.mts does the calls.

import { KIND_ROLE_LABEL } from '../cluster/diff.mts'

export interface HealNode {
  name: string
  /** io.x-k8s.kind.role: control-plane, worker, external-load-balancer */
  role: string
  running: boolean
  /** State.Status: created, running, exited, restarting, paused, dead */
  status: string
  exitCode?: number
  /** State.Error: why the daemon could not start it */
  error?: string
}

export interface HealPlan {
  /** started first: the API server must answer before workers can register (control planes, their load balancer) */
  first: string[]
  /** started once the API server answers */
  then: string[]
  /** every node of the cluster, for the readiness wait */
  all: string[]
}

const roleOf = (n: { labels: Record<string, string> }) => n.labels[KIND_ROLE_LABEL] ?? ''

/** What docker inspect reports, as the planner needs it. */
export function healNodes(containers: { name: string; running: boolean; status: string; labels: Record<string, string>; exitCode?: number; error?: string }[]): HealNode[] {
  return containers.map((c) => ({
    name: c.name,
    role: roleOf(c),
    running: c.running,
    status: c.status,
    ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
    ...(c.error ? { error: c.error } : {}),
  }))
}

/** A paused container is not stopped: `docker start` would not resume it (docker unpause does), so it is left alone. */
const stopped = (n: HealNode) => !n.running && n.status !== 'paused'

export function planHeal(nodes: HealNode[]): HealPlan {
  const byName = (a: HealNode, b: HealNode) => a.name.localeCompare(b.name)
  const sorted = [...nodes].sort(byName)
  const isFirst = (n: HealNode) => n.role === 'control-plane' || n.role === 'external-load-balancer'
  return {
    first: sorted.filter((n) => stopped(n) && isFirst(n)).map((n) => n.name),
    then: sorted.filter((n) => stopped(n) && !isFirst(n)).map((n) => n.name),
    all: sorted.filter((n) => n.role !== 'external-load-balancer').map((n) => n.name),
  }
}

export const nothingToStart = (p: HealPlan) => p.first.length === 0 && p.then.length === 0

/** One line for the phase note: what was (or would be) started, control plane first. */
export function startLine(p: HealPlan, dryRun: boolean): string {
  const names = [...p.first, ...p.then]
  const order = p.first.length && p.then.length ? ' (control plane first, then workers)' : ''
  return `${dryRun ? 'would start' : 'started'} ${names.length} stopped node container${names.length === 1 ? '' : 's'}${order}: ${names.join(', ')}`
}

/** A node that is not back: why, as far as Docker and the API server can say. */
export interface NotBack {
  name: string
  /** the container state after the attempt: "exited (code 1)", "created", "running" */
  container: string
  /** the daemon's refusal to start it, or the Node's Ready condition */
  why: string
  /** its last log lines (docker logs --tail) */
  logs: string
}

export function containerState(n: Pick<HealNode, 'status' | 'exitCode'> | undefined): string {
  if (!n) return 'missing'
  if (n.status === 'exited' && n.exitCode !== undefined) return `exited (code ${n.exitCode})`
  return n.status || 'unknown'
}

export interface ReadinessSeen { name: string; ready: string; reason?: string; message?: string }

/**
 * Which nodes are not back, and why: a container that did not start (the daemon's reason), one that runs but whose
 * Node is not Ready (its condition), or the API server not answering at all (every stopped control plane).
 */
export function notBack(input: {
  nodes: HealNode[]
  startErrors: Record<string, string>
  api: { ok: boolean; error?: string }
  readiness: ReadinessSeen[]
  /** the control plane's container name, for a cluster that lost it */
  controlPlane?: string
  /** why the Nodes could not be read although the API server answered (kubectl printed garbage, timed out) */
  readinessError?: string
}): Omit<NotBack, 'logs'>[] {
  const out: Omit<NotBack, 'logs'>[] = []
  for (const n of [...input.nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    if (n.role === 'external-load-balancer' && n.running) continue
    const container = containerState(n)
    if (input.startErrors[n.name]) { out.push({ name: n.name, container, why: `docker start failed: ${input.startErrors[n.name]}` }); continue }
    if (n.status === 'paused') { out.push({ name: n.name, container, why: `its container is paused: docker unpause ${n.name}` }); continue }
    if (!n.running) { out.push({ name: n.name, container, why: n.error ? `not running: ${n.error}` : 'its container stopped again after the start' }); continue }
    if (!input.api.ok) {
      if (n.role === 'control-plane') out.push({ name: n.name, container, why: `the API server does not answer: ${input.api.error ?? 'no answer'}` })
      continue
    }
    const r = input.readiness.find((x) => x.name === n.name)
    if (input.readinessError) out.push({ name: n.name, container, why: `its Ready condition could not be read: ${input.readinessError}` })
    else if (!r) out.push({ name: n.name, container, why: 'no Node object of that name (it never registered)' })
    else if (r.ready !== 'True') out.push({ name: n.name, container, why: `Node Ready=${r.ready}${r.reason ? ` (${r.reason}${r.message ? `: ${r.message}` : ''})` : ''}` })
  }
  // the API server down with every control plane running (or none left at all): say so once
  if (!input.api.ok && out.length === 0) {
    const cp = input.nodes.find((n) => n.role === 'control-plane')
    if (cp) out.push({ name: cp.name, container: containerState(cp), why: `the API server does not answer: ${input.api.error ?? 'no answer'}` })
    else out.push({ name: input.controlPlane ?? 'control-plane', container: 'missing', why: 'the control-plane container is gone (removed outside kind): only re-creating the cluster brings it back' })
  }
  return out
}

/** What `up --recreate` would lose: the cluster's own state. What stays is said too, so the choice is informed. */
export function recreateLoss(cluster: string): string {
  return `re-creating deletes kind cluster "${cluster}" with its nodes and their volumes: data in PersistentVolumes, ` +
    'Prometheus\' metrics history, Grafana changes made in the UI and anything applied by hand; the registry with its images, ' +
    'the local CA and the state in STATE_DIR stay, and up installs everything from this repository again'
}

const indent = (text: string) => text.split('\n').map((l) => `      ${l}`).join('\n')

/** The failure: each node that did not come back, with its state, why and its last log lines. */
export function notBackDetails(list: NotBack[], tail: number): string {
  return list.map((n) => [
    `  - ${n.name}: container ${n.container}; ${n.why}`,
    n.logs ? `    last ${tail} log lines (docker logs --tail ${tail} ${n.name}):\n${indent(n.logs)}` : `    no log lines (docker logs --tail ${tail} ${n.name} printed nothing)`,
  ].join('\n')).join('\n')
}
