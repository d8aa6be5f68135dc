// Heal an existing kind cluster before anything else talks to it: start its stopped node containers (control
// plane first, then workers), then wait, bounded by HEAL_TIMEOUT, for the API server and every node to be Ready.
// A node that is not back by then is named with its container state, why, and its last log lines; nothing is
// re-created or deleted here (the cluster phase offers --recreate). Process calls go through the adapters.

import { EXIT, StepError } from '../shell/errors.mts'
import type { StepHandle } from '../shell/ui.mts'
import { formatMs } from '../shell/ui.mts'
import { containerLogs, inspectContainers, tryStartContainer, type ContainerInfo } from '../tools/docker.mts'
import { contextReachable, nodeReadiness, type NodeReadiness } from '../tools/kubectl.mts'
import type { UpContext } from '../up/types.mts'
import { KIND_ROLE_LABEL } from '../cluster/diff.mts'
import { healNodes, nothingToStart, notBack, notBackDetails, planHeal, recreateLoss, startLine, type HealNode, type NotBack } from './plan.mts'

export const LOG_TAIL = 20
const POLL_MS = 1000

export interface HealResult {
  ok: boolean
  /** node containers started (or, under --dry-run, that would be) */
  started: string[]
  /** one line for the phase note and the summary; undefined when the cluster needed nothing */
  line?: string
  /** when not ok: the nodes that did not come back, and the error to throw unless --recreate replaces the cluster */
  notBack?: NotBack[]
  error?: StepError
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve()
  const t = setTimeout(resolve, ms)
  signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
})

const allReady = (want: string[], seen: NodeReadiness[]) => want.every((n) => seen.find((x) => x.name === n)?.ready === 'True')

export async function healCluster(ctx: UpContext, o: { cluster: string; context: string; nodes: ContainerInfo[]; step?: StepHandle; beforeWait?: () => Promise<void> }): Promise<HealResult> {
  const r = ctx.runner
  const plan = planHeal(healNodes(o.nodes))
  if (ctx.dryRun) return { ok: true, started: [...plan.first, ...plan.then], ...(nothingToStart(plan) ? {} : { line: startLine(plan, true) }) }

  const t0 = Date.now()
  const bound = ctx.config.healTimeoutMs
  const deadline = t0 + bound
  const startErrors: Record<string, string> = {}
  const start = async (names: string[]) => {
    await Promise.all(names.map(async (n) => {
      const res = await tryStartContainer(r, n, 'cluster')
      if (!res.ok) startErrors[n] = res.error ?? 'failed'
    }))
  }

  // The converged case costs two reads: the API answers and every node is Ready.
  let api: { ok: boolean; error?: string } = { ok: false, error: 'not started yet' }
  let seen: { ok: boolean; nodes: NodeReadiness[]; error?: string } = { ok: false, nodes: [] }
  if (nothingToStart(plan)) {
    await o.beforeWait?.()
    api = await contextReachable(r, o.context, 'cluster')
    if (api.ok) seen = await nodeReadiness(r, o.context, 'cluster')
    if (api.ok && seen.ok && allReady(plan.all, seen.nodes)) return { ok: true, started: [] }
  } else {
    o.step?.update(`starting ${plan.first.join(', ') || '(no control plane to start)'}`)
    await start(plan.first)
    // e.g. export the kube context again: kind reads it from the control plane, which must run for that
    if (!plan.first.some((n) => startErrors[n])) await o.beforeWait?.()
  }
  const controlPlanes = o.nodes.filter((n) => n.labels[KIND_ROLE_LABEL] === 'control-plane').map((n) => n.name)
  // no control plane that could answer: nothing to wait for
  const noControlPlane = controlPlanes.every((n) => startErrors[n])
  // the API server first: workers register with it
  o.step?.update(`waiting for the API server of ${o.cluster} (at most ${formatMs(bound)})`)
  while (!noControlPlane && !ctx.signal.aborted) {
    api = await contextReachable(r, o.context, 'cluster')
    if (api.ok || Date.now() >= deadline) break
    await sleep(POLL_MS, ctx.signal)
  }
  if (plan.then.length) {
    o.step?.update(`starting ${plan.then.join(', ')}`)
    await start(plan.then)
  }
  const waitFor = plan.all.filter((n) => !startErrors[n])
  if (api.ok) {
    o.step?.update(`waiting for ${waitFor.length} node(s) to be Ready (at most ${formatMs(Math.max(0, deadline - Date.now()))} more)`)
    while (!ctx.signal.aborted) {
      seen = await nodeReadiness(r, o.context, 'cluster')
      if ((seen.ok && allReady(waitFor, seen.nodes)) || Date.now() >= deadline) break
      await sleep(POLL_MS, ctx.signal)
    }
  }
  const started = [...plan.first, ...plan.then].filter((n) => !startErrors[n])
  const tookMs = Date.now() - t0
  const healthy = api.ok && seen.ok && Object.keys(startErrors).length === 0 && allReady(plan.all, seen.nodes)
  if (healthy) {
    const line = nothingToStart(plan)
      ? `waited ${formatMs(tookMs)} for every node to be Ready`
      : `${startLine(plan, false)}; every node Ready after ${formatMs(tookMs)}`
    return { ok: true, started, line }
  }

  // Not back: look again (a container may have stopped again), then name each with why and its last log lines.
  const after = healNodes(await inspectContainers(r, o.nodes.map((n) => n.name), 'cluster'))
  const missing = o.nodes.filter((n) => !after.some((a) => a.name === n.name)).map((n): HealNode => ({ name: n.name, role: n.labels[KIND_ROLE_LABEL] ?? '', running: false, status: 'removed' }))
  const list = notBack({ nodes: [...after, ...missing], startErrors, api, readiness: seen.nodes, controlPlane: `${o.cluster}-control-plane`, ...(api.ok && !seen.ok ? { readinessError: seen.error ?? 'kubectl get nodes failed' } : {}) })
  const withLogs: NotBack[] = await Promise.all(list.map(async (n) => ({ ...n, logs: n.container === 'missing' || n.container === 'removed' ? '' : await containerLogs(r, n.name, LOG_TAIL, 'cluster') })))
  const names = withLogs.map((n) => n.name)
  const when = noControlPlane ? 'after docker start' : `within HEAL_TIMEOUT (${bound % 1000 === 0 ? `${bound / 1000}s` : formatMs(bound)})`
  const error = new StepError({
    step: 'cluster',
    message: `${names.length === 1 ? 'node' : 'nodes'} of kind cluster "${o.cluster}" did not come back ${when}: ${withLogs.map((n) => `${n.name} (${n.why})`).join('; ')}`,
    hint: `see above for each node's state and last log lines; fix what they show and re-run up (it starts and waits again), or replace the cluster: npx zx scripts/up.mts --recreate --yes (${recreateLoss(o.cluster)}). up deleted nothing`,
    exitCode: EXIT.checkFailed,
    details: notBackDetails(withLogs, LOG_TAIL),
  })
  return { ok: false, started, notBack: withLogs, error, ...(started.length ? { line: `${startLine({ first: started, then: [], all: [] }, false)}` } : {}) }
}
