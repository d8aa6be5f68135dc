// The thin executor: runs a plan's actions in order, each idempotent (already gone = removed), re-checking
// ownership right before anything destructive. It keeps going after a failed action (teardown is best-effort;
// the leftover check afterwards decides the exit code) but stops at once on Ctrl-C.

import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../shell/config.mts'
import { InterruptedError, isStepError } from '../shell/errors.mts'
import type { Runner } from '../shell/run.mts'
import { MANIFEST_FILE, ownedState } from '../shell/manifest.mts'
import { readState, writeState } from '../shell/state.mts'
import type { Ui } from '../shell/ui.mts'
import { disconnectNetwork, inspectContainer, inspectNetwork, removeContainer, removeNetwork, removeVolume } from '../tools/docker.mts'
import { MIRROR_ROLE } from '../mirrors/plan.mts'
import { fluxUninstall } from '../tools/flux.mts'
import { helmUninstall } from '../tools/helm.mts'
import { kindClusters, kindDeleteCluster } from '../tools/kind.mts'
import { deleteContext, deleteFluxKustomizations, deleteNamespace, kubeContexts } from '../tools/kubectl.mts'
import { dropForwards, stopProcess } from './forwards.mts'
import { networkClusters } from './observe.mts'
import { describeAction } from './plan.mts'
import { REGISTRY_LABEL, REGISTRY_ROLE, type Action, type Plan } from './types.mts'

export type ActionResult = 'deleted' | 'absent' | 'skipped' | 'failed'

export interface ActionReport {
  action: Action
  description: string
  result: ActionResult
  /** why it failed or was skipped */
  message?: string
}

export interface ExecuteInput {
  plan: Plan
  runner: Runner
  ui: Ui
  config: Config
  signal: AbortSignal
  /** release the run lock (it lives in the state dir), right before the state dir itself is removed */
  releaseLock?: () => void
}

export interface ExecuteResult {
  reports: ActionReport[]
  /** pids of port-forwards that would not stop */
  stillRunning: number[]
}

const STEP = 'down'

async function run(a: Action, i: ExecuteInput, stillRunning: number[]): Promise<{ result: ActionResult; message?: string }> {
  const r = i.runner
  const t = i.config.helmTimeoutMs
  switch (a.kind) {
    case 'stop-forward': {
      const gone = await stopProcess(a.pid, r)
      if (!gone) stillRunning.push(a.pid)
      return gone ? { result: 'deleted' } : { result: 'failed', message: `pid ${a.pid} is still running after SIGKILL` }
    }
    case 'flux-prune':
      return { result: (await deleteFluxKustomizations(r, a.context, t, STEP)) === 'removed' ? 'deleted' : 'absent' }
    case 'flux-uninstall':
      await fluxUninstall(r, a.context, t, STEP)
      return { result: 'deleted' }
    case 'helm-uninstall':
      return { result: (await helmUninstall(r, a.context, a.name, a.namespace, t, STEP)) === 'removed' ? 'deleted' : 'absent' }
    case 'delete-namespace':
      return { result: (await deleteNamespace(r, a.context, a.name, t, STEP)) === 'removed' ? 'deleted' : 'absent' }
    case 'delete-cluster': {
      // exact name only: `kind delete cluster` with a name that is not listed would still "succeed"
      if (!(await kindClusters(r, STEP)).includes(a.name)) return { result: 'absent' }
      await kindDeleteCluster(r, a.name, STEP)
      return { result: 'deleted' }
    }
    case 'delete-context': {
      // kind removes its context itself when it deletes the cluster; this catches a stale one
      if (!(await kubeContexts(r, STEP, a.context)).includes(a.context)) return { result: 'absent' }
      return { result: (await deleteContext(r, a.context, STEP)) === 'removed' ? 'deleted' : 'absent' }
    }
    case 'delete-registry': {
      const c = await inspectContainer(r, a.name, STEP)
      if (!c) return { result: 'absent' }
      if (c.labels[REGISTRY_LABEL] !== REGISTRY_ROLE) {
        return { result: 'skipped', message: `container ${a.name} no longer carries ${REGISTRY_LABEL}=${REGISTRY_ROLE}: not ours, left alone` }
      }
      return { result: (await removeContainer(r, a.name, STEP, { volumes: true })) === 'removed' ? 'deleted' : 'absent' }
    }
    case 'disconnect-registry': {
      const c = await inspectContainer(r, a.name, STEP)
      if (!c || !c.networks.includes(a.network)) return { result: 'absent' }
      if (c.labels[REGISTRY_LABEL] !== REGISTRY_ROLE) return { result: 'skipped', message: `container ${a.name} is not ours: left alone` }
      return { result: (await disconnectNetwork(r, a.network, a.name, STEP)) === 'removed' ? 'deleted' : 'absent' }
    }
    case 'delete-mirror': {
      const c = await inspectContainer(r, a.name, STEP)
      let result: ActionResult = 'absent'
      if (c) {
        if (c.labels[REGISTRY_LABEL] !== MIRROR_ROLE) return { result: 'skipped', message: `container ${a.name} no longer carries ${REGISTRY_LABEL}=${MIRROR_ROLE}: not ours, left alone` }
        result = (await removeContainer(r, a.name, STEP)) === 'removed' ? 'deleted' : 'absent'
      }
      // the volume after its container: docker refuses to remove a volume in use
      if (a.volume && (await removeVolume(r, a.volume, STEP)) === 'removed') result = 'deleted'
      return { result }
    }
    case 'delete-volume':
      return { result: (await removeVolume(r, a.name, STEP)) === 'removed' ? 'deleted' : 'absent' }
    case 'disconnect-mirror': {
      const c = await inspectContainer(r, a.name, STEP)
      if (!c || !c.networks.includes(a.network)) return { result: 'absent' }
      if (c.labels[REGISTRY_LABEL] !== MIRROR_ROLE) return { result: 'skipped', message: `container ${a.name} is not ours: left alone` }
      return { result: (await disconnectNetwork(r, a.network, a.name, STEP)) === 'removed' ? 'deleted' : 'absent' }
    }
    case 'delete-network': {
      const n = await inspectNetwork(r, a.name, STEP)
      if (!n.exists) return { result: 'absent' }
      // checked again now that the cluster (and maybe the registry) is gone: kind's network is shared
      const others = (await networkClusters(r, a.name)).filter((c) => c !== i.config.clusterName)
      if (others.length || n.members.length) {
        return { result: 'skipped', message: `network ${a.name} still in use (${[...others.map((c) => `kind cluster ${c}`), ...n.members].join(', ')}): kept` }
      }
      return { result: (await removeNetwork(r, a.name, STEP)) === 'removed' ? 'deleted' : 'absent' }
    }
    case 'delete-credentials': {
      if (!fs.existsSync(a.file)) return { result: 'absent' }
      fs.rmSync(a.file, { force: true })
      return { result: 'deleted' }
    }
    case 'delete-ca': {
      const present = a.files.filter((f) => fs.existsSync(f))
      if (!present.length) return { result: 'absent' }
      for (const f of present) fs.rmSync(f, { force: true })
      // the directory only when it is empty now: anything else in it is not ours
      try { fs.rmdirSync(a.dir) } catch { /* not empty, or gone with the state dir */ }
      return { result: 'deleted' }
    }
    case 'delete-state': {
      if (!fs.existsSync(a.dir)) return { result: 'absent' }
      // one file at a time, never recursive: only what the suite recorded writing
      for (const f of a.files) fs.rmSync(path.join(a.dir, f), { force: true })
      const left = ownedState(a.dir).files
      if (!left.length) {
        // nothing of ours is left: the journal goes, and our lock (it lives in the dir) before the dir itself
        fs.rmSync(path.join(a.dir, MANIFEST_FILE), { force: true })
        if (a.dirs.includes('.')) i.releaseLock?.()
      }
      for (const d of a.dirs) {
        if (d === '.' && left.length) continue
        // rmdir only removes an empty directory: whatever someone else put there keeps it
        try { fs.rmdirSync(path.join(a.dir, d)) } catch { /* not empty, or gone */ }
      }
      return { result: 'deleted' }
    }
    case 'update-state': {
      if (!fs.existsSync(a.dir)) return { result: 'absent' }
      if (fs.existsSync(path.join(a.dir, 'state.json')) && a.forget.length) {
        const s = readState(a.dir)
        for (const k of a.forget) delete s[k]
        writeState(a.dir, s)
      }
      if (a.dropForwards.length) dropForwards(a.dir, a.dropForwards)
      return { result: 'deleted' }
    }
  }
}

export async function execute(i: ExecuteInput): Promise<ExecuteResult> {
  const reports: ActionReport[] = []
  const stillRunning: number[] = []
  for (const a of i.plan.actions) {
    if (i.signal.aborted) throw new InterruptedError(STEP)
    const description = describeAction(a)
    try {
      const out = await i.ui.step(description, async (s) => {
        const o = await run(a, i, stillRunning)
        if (o.result === 'absent') s.skip('already gone')
        else if (o.result === 'skipped') s.skip(o.message ?? 'kept')
        return o
      })
      reports.push({ action: a, description, ...out })
    } catch (e) {
      if (e instanceof InterruptedError || i.signal.aborted) throw e instanceof InterruptedError ? e : new InterruptedError(STEP)
      const message = isStepError(e) ? `${e.message}${e.command ? ` [${e.command}]` : ''}` : e instanceof Error ? e.message : String(e)
      if (!isStepError(e) && !(e instanceof Error && 'code' in e)) throw e
      reports.push({ action: a, description, result: 'failed', message })
      i.ui.error(`${description}: ${message}`)
    }
  }
  return { reports, stillRunning }
}
