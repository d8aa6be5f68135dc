// Keeps a set of port-forwards alive: opens them (lib/portforward.mts: free or fixed local port, ready once it
// accepts connections), watches each kubectl, re-establishes a dropped one on the SAME local port with backoff
// (a pod restart, a rollout), records the live ones in forwards.json, and closes them all on stop().

import { EXIT, StepError } from '../shell/errors.mts'
import { freePort } from '../shell/ports.mts'
import { startPortForward, type PortForward } from './portforward.mts'
import type { Runner } from '../shell/run.mts'
import { MAX_CONSECUTIVE_FAILURES, restartDelay, STABLE_AFTER_MS } from './backoff.mts'
import { removeOwned, replaceOwned, stillRecorded, type ForwardEntry } from './registry.mts'
import { describeTarget, type ForwardTarget } from './targets.mts'

export interface LiveForward {
  target: ForwardTarget
  port: number
  url: string
  handle: PortForward
  /** kubectl pid of the current generation */
  pid: number | undefined
  restarts: number
  failures: number
  upSince: number
  state: 'up' | 'reconnecting' | 'stopped' | 'given-up'
  busy: boolean
  startedAt: string
}

export interface FailedForward { target: ForwardTarget; error: string }

export interface SupervisorOptions {
  runner: Runner
  context: string
  stateDir: string
  targets: ForwardTarget[]
  /** fixed local ports by target name */
  ports: Map<string, number>
  signal: AbortSignal
  /** progress lines for people (stderr) */
  log: (line: string, level?: 'info' | 'warn' | 'ok') => void
  pollMs?: number
  readyTimeoutMs?: number
  maxFailures?: number
  now?: () => number
}

export interface Supervisor {
  forwards: LiveForward[]
  failed: FailedForward[]
  /** resolves when no forward is left to keep (all given up or removed by someone else), or on stop() */
  supervise(): Promise<{ givenUp: string[]; removed: string[] }>
  stop(): Promise<void>
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (signal?.aborted) return resolve()
  const t = setTimeout(done, ms)
  function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve() }
  signal?.addEventListener('abort', done, { once: true })
})

export async function openForwards(o: SupervisorOptions): Promise<Supervisor> {
  const now = o.now ?? Date.now
  const pollMs = o.pollMs ?? 250
  const maxFailures = o.maxFailures ?? MAX_CONSECUTIVE_FAILURES
  const owner = process.pid
  const stopper = new AbortController()
  const stopSignal = AbortSignal.any([o.signal, stopper.signal])
  const givenUp: string[] = []
  const removed: string[] = []
  const supervisorSince = new Date().toISOString()

  const opened = await Promise.all(o.targets.map(async (target): Promise<LiveForward | FailedForward> => {
    try {
      const port = o.ports.get(target.name) ?? (await freePort())
      const handle = await startPortForward(o.runner, {
        context: o.context,
        namespace: target.namespace,
        resource: `svc/${target.service}`,
        remotePort: target.remotePort,
        localPort: port,
        step: `forward/${target.name}`,
        maxAutoRestarts: 0,
        signal: o.signal,
        ...(o.readyTimeoutMs !== undefined ? { readyTimeoutMs: o.readyTimeoutMs } : {}),
      })
      return { target, port, url: handle.url, handle, pid: handle.pid, restarts: 0, failures: 0, upSince: now(), state: 'up', busy: false, startedAt: new Date().toISOString() }
    } catch (e) {
      return { target, error: e instanceof StepError ? e.message : String(e) }
    }
  }))
  const forwards = opened.filter((f): f is LiveForward => 'handle' in f)
  const failed = opened.filter((f): f is FailedForward => !('handle' in f))

  const entry = (f: LiveForward): ForwardEntry => ({
    pid: f.pid!,
    what: `${f.target.name} ${f.url} -> ${describeTarget(f.target)}`,
    context: o.context,
    startedAt: f.startedAt,
    target: f.target.name,
    port: f.port,
    url: f.url,
    owner,
    role: 'port-forward',
  })
  const record = () => {
    const live = forwards.filter((f) => f.state === 'up' && f.pid !== undefined)
    if (live.length === 0) { removeOwned(o.stateDir, owner); return }
    // this process first: stopping it (down sends SIGTERM) closes every forward below and keeps them closed
    const self: ForwardEntry = { pid: owner, what: `forward supervisor of ${live.map((f) => f.target.name).join(', ')} (stopping it closes them)`, context: o.context, startedAt: supervisorSince, owner, role: 'supervisor' }
    replaceOwned(o.stateDir, owner, [self, ...live.map(entry)])
  }
  record()

  const active = () => forwards.filter((f) => f.state === 'up' || f.state === 'reconnecting')

  async function retire(f: LiveForward, state: 'stopped' | 'given-up') {
    f.state = state
    await f.handle.stop()
    record()
  }

  async function reestablish(f: LiveForward): Promise<void> {
    const oldPid = f.pid
    if (oldPid !== undefined && !stillRecorded(o.stateDir, oldPid)) {
      // someone (down) took it out of forwards.json: that means stop, not repair
      o.log(`${f.target.name}: no longer recorded in forwards.json; not re-establishing it`, 'warn')
      removed.push(f.target.name)
      return retire(f, 'stopped')
    }
    f.state = 'reconnecting'
    o.log(`${f.target.name}: ${f.handle.exitReason ?? 'kubectl port-forward exited'}; re-establishing on 127.0.0.1:${f.port}`, 'warn')
    for (;;) {
      await sleep(restartDelay(f.failures), stopSignal)
      if (stopSignal.aborted) return
      if (oldPid !== undefined && !stillRecorded(o.stateDir, oldPid)) {
        o.log(`${f.target.name}: no longer recorded in forwards.json; not re-establishing it`, 'warn')
        removed.push(f.target.name)
        return retire(f, 'stopped')
      }
      try {
        await f.handle.restart()
        f.pid = f.handle.pid
        f.restarts++
        f.upSince = now()
        f.state = 'up'
        record()
        o.log(`${f.target.name}: re-established on ${f.url} (kubectl pid ${f.pid}, restart ${f.restarts})`, 'ok')
        return
      } catch (e) {
        if (stopSignal.aborted) return
        f.failures++
        const why = e instanceof Error ? e.message : String(e)
        if (f.failures >= maxFailures) {
          o.log(`${f.target.name}: giving up after ${f.failures} attempts: ${why}`, 'warn')
          givenUp.push(f.target.name)
          return retire(f, 'given-up')
        }
        o.log(`${f.target.name}: ${why}; next attempt in ${(restartDelay(f.failures) / 1000).toFixed(1)}s`, 'warn')
      }
    }
  }

  let stopping: Promise<void> | undefined
  const supervisor: Supervisor = {
    forwards,
    failed,
    async supervise() {
      const pending = new Set<Promise<void>>()
      while (!stopSignal.aborted && active().length > 0) {
        for (const f of active()) {
          if (f.busy) continue
          if (f.handle.running) {
            if (f.failures > 0 && now() - f.upSince >= STABLE_AFTER_MS) f.failures = 0
            continue
          }
          f.busy = true
          const p = reestablish(f).catch((e: unknown) => { o.log(`${f.target.name}: ${String(e)}`, 'warn') }).finally(() => { f.busy = false; pending.delete(p) })
          pending.add(p)
        }
        await sleep(pollMs, stopSignal)
      }
      await Promise.all(pending)
      return { givenUp, removed }
    },
    stop() {
      stopping ??= (async () => {
        stopper.abort()
        await Promise.all(forwards.map(async (f) => {
          if (f.state === 'up' || f.state === 'reconnecting') f.state = 'stopped'
          await f.handle.stop()
        }))
        removeOwned(o.stateDir, owner)
      })()
      return stopping
    },
  }
  return supervisor
}

/** When nothing could be opened: one error naming every target and why. */
export function noForwardError(failed: FailedForward[]): StepError {
  return new StepError({
    step: 'forward',
    message: `no port-forward could be opened: ${failed.map((f) => `${f.target.name} (${f.error})`).join('; ')}`,
    hint: 'is the platform up? npx zx scripts/up.mts, or check kubectl get svc -A',
    exitCode: EXIT.commandFailed,
  })
}
