// Probing a live cluster: read namespaces, pods and policies; compute what should happen; probe from
// inside each source pod; re-probe mismatches until they agree or the deadline passes; report.
//
// Where the probes run: an EPHEMERAL DEBUG CONTAINER in each source pod (`kubectl debug`, pinned agnhost
// image, restricted security profile). It shares the pod's network namespace, so traffic leaves with the
// pod's exact identity: its IP, its labels (what policies select on), its node. The alternative, probe
// pods carrying copies of the source's labels, is wrong in two ways: the source's ReplicaSet adopts any
// pod matching its selector and deletes the surplus, and Services would route real traffic to it.
// The cost: an ephemeral container stays in the pod spec until the pod is replaced, so ONE idle container
// (`agnhost pause`) is added per pod and reused by every later run; each round is one `kubectl exec`.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { EXIT, StepError } from '../../shell/errors.mts'
import type { Runner } from '../../shell/run.mts'
import type { StepHandle } from '../../shell/ui.mts'
import { addProbeContainer, execScript, getAllJson } from '../../tools/kubectl.mts'
import { assertionTargets, checkAssertions, type AssertionsFile } from '../assertions.mts'
import { buildCluster, flattenObjects, type SourcedObject } from '../objects.mts'
import { expectationToReport } from '../offline.mts'
import { cellKey, computeExpectation, KUBE_DNS, type Expectation } from '../targets.mts'
import type { ExternalTarget } from '../model.mts'
import { summarize, type NetpolReport } from '../report/types.mts'
import { planProbes } from './plan.mts'
import { pool, probeRounds, type ProbeIO } from './rounds.mts'

import { DEFAULT_PROBE_IMAGE } from '../flags.mts'
export { DEFAULT_PROBE_IMAGE }
export const PROBE_CONTAINER = 'netpol-probe'

export interface ProbeContext {
  runner: Runner
  config: { kubeContext: string; environments: readonly string[] }
  ui?: { step<T>(title: string, fn: (s: StepHandle) => Promise<T>): Promise<T>; warn(line: string): void }
  signal?: AbortSignal
  dryRun?: boolean
}

export interface ProbeOptions {
  /** namespaces whose pods are sources and destinations (default: demo-<env> for every configured environment) */
  namespaces?: readonly string[]
  allNamespaces?: boolean
  externals?: readonly ExternalTarget[]
  /** probe DNS resolution through kube-dns from every source (default: when the cluster runs kube-dns) */
  dns?: boolean
  assertions?: AssertionsFile
  /** per-probe timeout (default 2) */
  timeoutSec?: number
  /** re-probe mismatches until this many seconds have passed (default 60) */
  deadlineSec?: number
  /** pause between rounds (default 2) */
  intervalSec?: number
  /** exec calls in flight (default 4) */
  concurrency?: number
  /** how long a new probe container may take to start, image pull included (default 120) */
  readyTimeoutSec?: number
  image?: string
  maxRounds?: number
  /** test seams */
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

interface RawPod {
  metadata?: { name?: string; namespace?: string; deletionTimestamp?: string }
  spec?: { ephemeralContainers?: { name?: string }[]; hostNetwork?: boolean }
  status?: { phase?: string; podIP?: string; ephemeralContainerStatuses?: { name?: string; state?: { running?: unknown; waiting?: { reason?: string; message?: string }; terminated?: unknown } }[] }
}

const items = (list: unknown): unknown[] => flattenObjects([{ obj: list }]).map((o) => o.obj)
const idOf = (p: RawPod) => `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? ''}`
const isRunning = (p: RawPod) => p.status?.phase === 'Running' && Boolean(p.status.podIP) && !p.metadata?.deletionTimestamp

const noStep = { update() {}, note() {}, skip() {} }

/**
 * kubectl's own words for a failed `debug`: the "error: ..." line, not the "See 'kubectl debug --help' for usage."
 * that follows a flag error; an unknown --custom means a client older than the probes support.
 */
export function debugError(stderr: string): string | undefined {
  const lines = stderr.trim().split('\n').map((l) => l.trim()).filter(Boolean)
  const line = lines.find((l) => /^error:/i.test(l)) ?? lines.at(-1)
  if (line && /unknown flag: --custom/.test(line)) return `${line} (this kubectl is too old for the probes: npx zx scripts/doctor.mts)`
  return line
}

/** Probe container state per pod: a running one to reuse, one still starting, or none. */
function probeContainerState(p: RawPod): { running?: string; waiting?: { name: string; reason: string }; count: number } {
  const names = (p.spec?.ephemeralContainers ?? []).map((c) => c.name ?? '').filter((n) => n === PROBE_CONTAINER || n.startsWith(`${PROBE_CONTAINER}-`))
  const statuses = (p.status?.ephemeralContainerStatuses ?? []).filter((s) => names.includes(s.name ?? ''))
  const running = statuses.find((s) => s.state?.running)?.name
  const w = statuses.find((s) => s.state?.waiting)
  const waitingName = w?.name ?? names.find((n) => !statuses.some((s) => s.name === n))
  const out: { running?: string; waiting?: { name: string; reason: string }; count: number } = { count: names.length }
  if (running) out.running = running
  else if (waitingName) out.waiting = { name: waitingName, reason: w?.state?.waiting?.reason ?? 'starting' }
  return out
}

async function ensureProbeContainers(ctx: ProbeContext, pods: RawPod[], opts: Required<Pick<ProbeOptions, 'image' | 'readyTimeoutSec' | 'concurrency'>> & Pick<ProbeOptions, 'now' | 'sleep'>, step: StepHandle): Promise<{ containers: Map<string, string>; failures: Map<string, string> }> {
  const kube = ctx.config.kubeContext
  const now = opts.now ?? Date.now
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const containers = new Map<string, string>()
  const failures = new Map<string, string>()
  const waitingFor = new Map<string, string>()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netpol-probe-'))
  try {
    const customFile = path.join(dir, 'probe-container.json')
    // --profile=restricted sets runAsNonRoot but no user; the agnhost image would run as root and be refused
    fs.writeFileSync(customFile, JSON.stringify({ securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } } }))
    const toCreate: { pod: RawPod; name: string }[] = []
    for (const p of pods) {
      const s = probeContainerState(p)
      if (s.running) containers.set(idOf(p), s.running)
      else if (s.waiting && !/ErrImagePull|ImagePullBackOff|InvalidImageName/.test(s.waiting.reason)) waitingFor.set(idOf(p), s.waiting.name)
      else toCreate.push({ pod: p, name: s.count === 0 ? PROBE_CONTAINER : `${PROBE_CONTAINER}-${s.count + 1}` })
    }
    if (toCreate.length) step.update(`adding a probe container to ${toCreate.length} pods`)
    await pool(toCreate, opts.concurrency, async ({ pod, name }) => {
      const res = await addProbeContainer(ctx.runner, kube, { namespace: pod.metadata?.namespace ?? 'default', pod: pod.metadata?.name ?? '', container: name, image: opts.image, customFile })
      if (res.ok) waitingFor.set(idOf(pod), name)
      else failures.set(idOf(pod), `kubectl debug failed: ${debugError(res.stderr) ?? `exit ${res.exitCode}`}`)
    })
    if (ctx.dryRun) {
      for (const id of waitingFor.keys()) failures.set(id, 'dry run: no probe container was added')
      return { containers, failures }
    }
    const deadline = now() + opts.readyTimeoutSec * 1000
    const lastReason = new Map<string, string>()
    while (waitingFor.size > 0) {
      const namespaces = [...new Set([...waitingFor.keys()].map((id) => id.split('/')[0] as string))]
      for (const ns of namespaces) {
        const fresh = items(await getAllJson(ctx.runner, kube, 'pods', ns)) as RawPod[]
        for (const p of fresh) {
          const want = waitingFor.get(idOf(p))
          if (!want) continue
          const st = p.status?.ephemeralContainerStatuses?.find((s) => s.name === want)
          if (st?.state?.running) {
            containers.set(idOf(p), want)
            waitingFor.delete(idOf(p))
          } else if (st?.state?.terminated) {
            failures.set(idOf(p), `probe container ${want} exited`)
            waitingFor.delete(idOf(p))
          } else if (st?.state?.waiting?.reason) lastReason.set(idOf(p), `${st.state.waiting.reason}${st.state.waiting.message ? `: ${st.state.waiting.message}` : ''}`)
        }
      }
      if (waitingFor.size === 0) break
      if (now() >= deadline || ctx.signal?.aborted) {
        for (const id of waitingFor.keys()) failures.set(id, `probe container did not start within ${opts.readyTimeoutSec}s (${lastReason.get(id) ?? 'still starting'})`)
        break
      }
      step.update(`waiting for ${waitingFor.size} probe containers to start`)
      await sleep(1000)
    }
    return { containers, failures }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function explainCell(exp: Expectation, from: string, to: string, port: number, protocol: 'TCP' | 'UDP' | 'SCTP', toKind: string): string | undefined {
  const src = exp.engine.indexOf(from)
  if (src === undefined) return undefined
  const dstIndex = toKind === 'pod' ? exp.engine.indexOf(to) : undefined
  const dst = dstIndex !== undefined ? { kind: 'pod' as const, index: dstIndex } : { kind: 'external' as const }
  const v = exp.engine.explain({ kind: 'pod', index: src }, dst, port, protocol)
  const side = (name: string, d: { isolatedBy: string[]; allowedBy: string[] }) =>
    d.isolatedBy.length === 0 ? `${name}: not isolated` : `${name}: isolated by ${d.isolatedBy.join(', ')}; ${d.allowedBy.length ? `allowed by ${d.allowedBy.join(', ')}` : 'no rule allows it'}`
  return toKind === 'pod' ? `${side('egress', v.egress)} | ${side('ingress', v.ingress)}` : side('egress', v.egress)
}

/**
 * Probe the cluster behind ctx.config.kubeContext and compare with the policies' expectation.
 * Resolves with the report (report.ok = observed == expected and every assertion holds); throws
 * StepError only when probing is impossible (cluster unreachable, nothing to probe).
 */
export async function runProbes(ctx: ProbeContext, options: ProbeOptions = {}): Promise<NetpolReport> {
  const kube = ctx.config.kubeContext
  const step = <T,>(title: string, fn: (s: StepHandle) => Promise<T>) => (ctx.ui ? ctx.ui.step(title, fn) : fn(noStep))
  const namespaces = options.allNamespaces ? undefined : options.namespaces ?? ctx.config.environments.map((e) => `demo-${e}`)
  const image = options.image ?? DEFAULT_PROBE_IMAGE

  const raw = await step('netpol: reading namespaces, pods and policies', async () => {
    const [ns, pods, pols] = await Promise.all([getAllJson(ctx.runner, kube, 'namespaces'), getAllJson(ctx.runner, kube, 'pods'), getAllJson(ctx.runner, kube, 'networkpolicies')])
    return { ns: items(ns), pods: items(pods) as RawPod[], pols: items(pols) }
  })
  const inScope = (p: RawPod) => namespaces === undefined || namespaces.includes(p.metadata?.namespace ?? 'default')
  const running = raw.pods.filter(isRunning)
  const warnings: string[] = []
  const notRunning = raw.pods.filter((p) => inScope(p) && !isRunning(p) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
  if (notRunning.length) warnings.push(`skipped ${notRunning.length} pods that are not running: ${notRunning.slice(0, 5).map(idOf).join(', ')}${notRunning.length > 5 ? ', ...' : ''}`)

  const objects: SourcedObject[] = [...raw.ns, ...running, ...raw.pols].map((obj) => ({ obj, source: `context ${kube}` }))
  const built = buildCluster(objects, { expandWorkloads: false })
  warnings.push(...built.warnings.filter((w) => namespaces === undefined || namespaces.some((n) => w.startsWith(`${n}/`))))
  const fromAssertions = options.assertions ? assertionTargets(options.assertions) : { externals: [], dns: false }
  const hasDns = built.cluster.pods.some((p) => p.namespace === KUBE_DNS.namespace && p.labels[KUBE_DNS.label] === KUBE_DNS.value)
  const dns = options.dns ?? (fromAssertions.dns || hasDns)
  if (dns && !hasDns) warnings.push(`no running kube-dns pod (${KUBE_DNS.namespace}, ${KUBE_DNS.label}=${KUBE_DNS.value}): DNS cannot be probed`)
  const exp = computeExpectation(built.cluster, {
    ...(namespaces ? { namespaces } : {}),
    externals: [...(options.externals ?? []), ...fromAssertions.externals],
    dns,
  })
  if (exp.universe.sources.length === 0) {
    throw new StepError({
      step: 'netpol',
      message: `no running pods to probe in ${namespaces ? namespaces.join(', ') : 'any namespace'}`,
      hint: 'deploy the apps first (up), or choose namespaces with --namespace',
      exitCode: EXIT.checkFailed,
    })
  }

  const report = expectationToReport(exp, 'probe', warnings)
  // assertions are about the policies, not about what this run probes: judge them over every namespace
  if (options.assertions) {
    const whole = computeExpectation(built.cluster, { externals: fromAssertions.externals, dns: fromAssertions.dns })
    report.assertions = checkAssertions(options.assertions, whole)
  }
  const plan = planProbes(exp)
  const sourcePods = running.filter((p) => plan.plans.some((pl) => pl.source === idOf(p) && pl.probes.length > 0))

  const { containers, failures } = await step(`netpol: probe containers in ${sourcePods.length} pods`, (s) =>
    ensureProbeContainers(ctx, sourcePods, { image, readyTimeoutSec: options.readyTimeoutSec ?? 120, concurrency: options.concurrency ?? 4, ...(options.now ? { now: options.now } : {}), ...(options.sleep ? { sleep: options.sleep } : {}) }, s),
  )
  if (ctx.dryRun) {
    // nothing was added, so nothing can be probed: the result is the expectation (and the assertions)
    report.mode = 'offline'
    report.warnings.push('dry run: no probe container added and nothing probed; this is the expected connectivity only')
    report.ok = summarize(report).assertionsFailed === 0
    return report
  }
  for (const [id, why] of failures) warnings.push(`${id}: ${why}`)
  const timeoutSec = options.timeoutSec ?? 2
  const io: ProbeIO = {
    async exec(source, script) {
      const [ns, pod] = source.split('/') as [string, string]
      const container = containers.get(source) as string
      const lines = script.split('\n').length
      const res = await execScript(ctx.runner, kube, ns, pod, container, script, (timeoutSec * Math.ceil(lines / 64) + 30) * 1000)
      return res.ok ? { ok: true, stdout: res.stdout } : { ok: false, stdout: res.stdout, error: `kubectl exec failed (exit ${res.exitCode}): ${res.stderr.trim().split('\n').at(-1) ?? ''}` }
    },
  }
  const plans = plan.plans.filter((p) => containers.has(p.source))
  const rounds = await step(`netpol: probing from ${plans.length} pods`, (s) =>
    probeRounds(plans, io, {
      timeoutSec,
      deadlineMs: (options.deadlineSec ?? 60) * 1000,
      intervalMs: (options.intervalSec ?? 2) * 1000,
      concurrency: options.concurrency ?? 4,
      ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onRound: (r) => s.update(`round ${r.round}: ${r.remaining} probes still differ`),
    }),
  )

  for (const c of report.cells) {
    const key = cellKey(c)
    const o = rounds.observations.get(key)
    if (o && o.class !== 'error') {
      c.observed = o.connected
      c.class = o.class
      c.attempts = o.attempts
      if (o.detail) c.detail = o.detail
    } else {
      const why = o?.detail ?? plan.unprobed.get(key) ?? failures.get(c.from)
      if (why) c.detail = why
      if (o) c.attempts = o.attempts
    }
    if (c.observed !== undefined && c.observed !== c.expected) {
      const why = explainCell(exp, c.from, c.to, c.port, c.protocol, c.toKind)
      if (why) c.why = why
      if (c.class === 'refused' && c.expected) c.why = `${c.why ?? ''} | refused: the packet arrived but nothing listens on ${c.port}/${c.protocol}`
    }
  }
  report.probe = { rounds: rounds.rounds, execs: rounds.execs, durationMs: rounds.durationMs, settled: rounds.settled }
  const s = summarize(report)
  report.ok = s.mismatches === 0 && s.unobserved === 0 && s.assertionsFailed === 0
  return report
}
