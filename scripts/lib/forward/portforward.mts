// Managed `kubectl port-forward`: a free local port on 127.0.0.1, started through the runner (so Ctrl-C and
// exit kill it), ready only once kubectl reports the listener AND it accepts a TCP connection, restartable,
// and always stopped: by stop(), by the runner's killAll() on exit/Ctrl-C, and as a last resort by a
// process 'exit' hook. Start is retried (a port taken in between, a pod not Running yet); nothing else is.

import { EXIT, StepError } from '../shell/errors.mts'
import { canConnect, freePort } from '../shell/ports.mts'
import type { Runner, Started } from '../shell/run.mts'
import { kubectlPortForward } from '../tools/kubectl.mts'

export interface PortForwardSpec {
  context: string
  namespace: string
  /** svc/demo, pod/demo-abc, deploy/demo */
  resource: string
  remotePort: number | string
  /** a fixed local port; default: a free one chosen at random */
  localPort?: number
  /** named in errors */
  step?: string
  /** how long kubectl may take to listen and accept a connection (per attempt); default 20 s */
  readyTimeoutMs?: number
  /** extra start attempts for transient failures (port taken, pod not running yet); default 2 */
  startRetries?: number
  /** restart by itself when kubectl exits (long-lived forwards); 0 (default) = stay down and report it */
  maxAutoRestarts?: number
  /** stop when this aborts (Ctrl-C) */
  signal?: AbortSignal
  /** kubectl's stderr lines and restart notes (verbose output) */
  onLog?: (line: string) => void
}

export interface PortForward {
  readonly localPort: number
  /** http://127.0.0.1:<localPort> */
  readonly url: string
  /** 1 after the first start, +1 per restart: a changed value means another pod may be behind it now */
  readonly generation: number
  readonly running: boolean
  readonly pid: number | undefined
  /** why kubectl stopped when it was not asked to (last stderr line), if it did */
  readonly exitReason: string | undefined
  /** stop kubectl and start it again (same local port when still free) */
  restart(): Promise<void>
  stop(): Promise<void>
}

// Last resort: a process exiting without cleanup (uncaught exception, process.exit elsewhere) still takes its
// forwards down. Only our own children's process groups are signalled.
const live = new Set<number>()
let exitHook = false
function track(pid: number | undefined): void {
  if (pid === undefined) return
  live.add(pid)
  if (exitHook) return
  exitHook = true
  process.on('exit', () => {
    for (const p of live) { try { process.kill(-p, 'SIGKILL') } catch { /* gone */ } }
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type AttemptError = StepError & { retryable?: boolean; portTaken?: boolean }

function classify(stderr: string): { retryable: boolean; portTaken: boolean } {
  const portTaken = /address already in use|unable to listen on any of the requested ports|Unable to listen on port/i.test(stderr)
  const permanent = /NotFound|not found|forbidden|Unauthorized|does not exist|no context exists|unknown flag|must specify/i.test(stderr)
  return { portTaken, retryable: portTaken || !permanent }
}

export async function startPortForward(runner: Runner, spec: PortForwardSpec): Promise<PortForward> {
  const step = spec.step ?? 'port-forward'
  const readyTimeoutMs = spec.readyTimeoutMs ?? 20_000
  const retries = spec.startRetries ?? 2
  const log = spec.onLog ?? (() => {})
  const what = `kubectl port-forward -n ${spec.namespace} ${spec.resource} ${spec.remotePort}`

  let port = spec.localPort ?? (await freePort())
  let current: Started | undefined
  let generation = 0
  let stopped = false
  let exitReason: string | undefined
  let autoRestarts = 0
  let restarting: Promise<void> | undefined

  /** one start: spawn, wait for "Forwarding from 127.0.0.1:<port>" and a successful connect */
  async function attempt(): Promise<{ child: Started; lastLine: () => string }> {
    const child = kubectlPortForward(runner, { context: spec.context, namespace: spec.namespace, resource: spec.resource, localPort: port, remotePort: spec.remotePort, step })
    track(child.child.pid)
    let stderr = ''
    let announced = false
    let resolveAnnounced: () => void = () => {}
    const announcedP = new Promise<void>((r) => { resolveAnnounced = r })
    let outBuf = ''
    // Always drain both pipes: kubectl prints a line per connection and would block on a full pipe.
    child.child.stdout?.on('data', (d: Buffer) => {
      outBuf += d.toString()
      let nl: number
      while ((nl = outBuf.indexOf('\n')) !== -1) {
        const line = outBuf.slice(0, nl).trim()
        outBuf = outBuf.slice(nl + 1)
        if (!announced && line.startsWith(`Forwarding from 127.0.0.1:${port} `)) { announced = true; resolveAnnounced() }
      }
    })
    child.child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString()
      stderr += text
      if (stderr.length > 16_384) stderr = stderr.slice(-8192)
      for (const l of text.split('\n').filter((x) => x.trim())) log(`${step}: ${l.trim()}`)
    })
    const lastLine = () => stderr.trim().split('\n').filter(Boolean).at(-1) ?? ''
    const fail = (message: string, extra: Partial<{ retryable: boolean; portTaken: boolean }>) => {
      const e = new StepError({ step, message, command: child.command, hint: 'check the resource exists and has a Running pod: kubectl get pods -n ' + spec.namespace, exitCode: EXIT.commandFailed, details: stderr }) as AttemptError
      Object.assign(e, extra)
      return e
    }
    const deadline = Date.now() + readyTimeoutMs
    let timer: NodeJS.Timeout | undefined
    const outcome = await Promise.race([
      announcedP.then(() => 'announced' as const),
      child.exited.then(() => 'exited' as const),
      new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), readyTimeoutMs) }),
    ]).finally(() => clearTimeout(timer))
    if (outcome === 'exited') {
      const last = lastLine()
      const kind = classify(stderr)
      if (kind.portTaken) throw fail(`${what}: local port 127.0.0.1:${port} is in use (${last})`, kind)
      throw fail(`${what} exited before it was ready${last ? `: ${last}` : ''}`, kind)
    }
    if (outcome === 'timeout') {
      await child.stop()
      throw fail(`${what} did not report a listener on 127.0.0.1:${port} within ${Math.round(readyTimeoutMs / 1000)}s`, { retryable: true, portTaken: false })
    }
    // Announced: confirm it accepts connections (bounded by the same deadline).
    for (;;) {
      if (child.child.exitCode !== null || child.child.signalCode !== null) throw fail(`${what} exited right after starting: ${lastLine()}`, classify(stderr))
      if (await canConnect(port, '127.0.0.1', Math.max(200, Math.min(2000, deadline - Date.now())))) return { child, lastLine }
      if (Date.now() >= deadline) {
        await child.stop()
        throw fail(`127.0.0.1:${port} does not accept connections although kubectl reported it`, { retryable: true, portTaken: false })
      }
      await sleep(100)
    }
  }

  async function startWithRetries(): Promise<void> {
    let delay = 500
    for (let i = 0; ; i++) {
      if (spec.signal?.aborted || stopped) throw new StepError({ step, message: 'port-forward cancelled', exitCode: EXIT.interrupted })
      try {
        const { child, lastLine } = await attempt()
        if (stopped) {
          // stop() came while this attempt was starting: it must not leave a kubectl behind
          await child.stop()
          throw new StepError({ step, message: 'port-forward cancelled', exitCode: EXIT.interrupted })
        }
        current = child
        generation++
        exitReason = undefined
        void child.exited.then(() => onExit(child, lastLine()))
        return
      } catch (e) {
        const err = e as AttemptError
        if (i >= retries || !err.retryable) throw err
        log(`${step}: ${err.message}; retrying (${i + 1}/${retries})`)
        if (err.portTaken && spec.localPort === undefined) port = await freePort()
        await sleep(delay)
        delay *= 2
      }
    }
  }

  function onExit(child: Started, last: string): void {
    if (child.child.pid !== undefined) live.delete(child.child.pid)
    if (child !== current || stopped || restarting) return
    exitReason = `kubectl port-forward exited (${child.child.exitCode ?? child.child.signalCode})${last ? `: ${last}` : ''}`
    log(`${step}: ${exitReason}`)
    if (autoRestarts >= (spec.maxAutoRestarts ?? 0)) return
    autoRestarts++
    restarting = (async () => {
      await sleep(Math.min(1000 * autoRestarts, 10_000))
      try { await startWithRetries() } catch (e) { exitReason = e instanceof Error ? e.message : String(e) }
    })().finally(() => { restarting = undefined })
  }

  const onAbort = () => { void handle.stop() }

  const handle: PortForward = {
    get localPort() { return port },
    get url() { return `http://127.0.0.1:${port}` },
    get generation() { return generation },
    get running() { return current !== undefined && current.child.exitCode === null && current.child.signalCode === null },
    get pid() { return current?.child.pid },
    get exitReason() { return exitReason },
    async restart() {
      if (stopped) throw new StepError({ step, message: 'port-forward was stopped', exitCode: EXIT.commandFailed })
      const old = current
      const p = (async () => {
        if (old) await old.stop()
        await startWithRetries()
      })()
      restarting = p
      try { await p } finally { if (restarting === p) restarting = undefined }
    },
    async stop() {
      stopped = true
      spec.signal?.removeEventListener('abort', onAbort)
      await restarting?.catch(() => {})
      if (current) {
        await current.stop()
        if (current.child.pid !== undefined) live.delete(current.child.pid)
      }
    },
  }

  spec.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await startWithRetries()
  } catch (e) {
    stopped = true
    spec.signal?.removeEventListener('abort', onAbort)
    throw e
  }
  return handle
}
