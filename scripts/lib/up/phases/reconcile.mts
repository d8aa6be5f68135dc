// reconcile: wait until every Flux Kustomization and HelmRelease is Ready, in dependency order, showing live
// which one is reconciling and which one waits on what. Each object gets RECONCILE_TIMEOUT from the moment it
// can make progress (its dependencies are Ready); a Stalled object fails at once. On failure the error names the
// object(s) that hold everything up. FLUX_MODE=none: wait for the app rollouts and the gateway's certificates.

import { EXIT, StepError } from '../../shell/errors.mts'
import { assess, blockedBy, progressLine, rootCauses, shortId, tick, type Assessment, type Tracked } from '../../flux/readiness.mts'
import { kubectlList, kubectlRolloutStatus, kubectlWait } from '../../tools/kubectl.mts'
import { formatMs } from '../../shell/ui.mts'
import { kubeContext } from '../context.mts'
import type { Phase, UpContext } from '../types.mts'
import { rememberAppNamespaces } from '../installed.mts'

const FLUX_KINDS = [
  'kustomizations.kustomize.toolkit.fluxcd.io',
  'helmreleases.helm.toolkit.fluxcd.io',
  'ocirepositories.source.toolkit.fluxcd.io',
  'gitrepositories.source.toolkit.fluxcd.io',
].join(',')

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms)
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
})

/** Poll often for short timeouts (tests, CI smoke), every 2s for the usual minutes. */
export const pollInterval = (timeoutMs: number) => Math.max(200, Math.min(2000, Math.floor(timeoutMs / 8)))

function describe(t: Tracked): string {
  return `${t.kind} ${t.namespace}/${t.name}${t.message ? `: ${t.message}` : ''}`
}

function failure(a: Assessment, culprits: Tracked[], why: string, exitCode: number, context: string): StepError {
  const held = new Set(culprits.flatMap((c) => blockedBy(a, c.id)).filter((t) => !culprits.includes(t)).map((t) => shortId(t.id)))
  return new StepError({
    step: 'reconcile',
    message: `${culprits.map(describe).join('; ')} ${why}${held.size ? ` (holding up ${[...held].join(', ')})` : ''}`,
    hint: `flux get all -A --context ${context}; the diagnostics bundle has events, controller logs and the logs of failing pods`,
    exitCode: exitCode as StepError['exitCode'],
    details: a.tracked.map((t) => `${t.state.padEnd(11)} ${t.kind} ${t.namespace}/${t.name}  ${t.message}`).join('\n'),
  })
}

export async function waitForFlux(ctx: UpContext, roots: string[], update: (s: string) => void): Promise<{ note: string; assessment: Assessment }> {
  const context = kubeContext(ctx)
  const timeoutMs = ctx.config.reconcileTimeoutMs
  const clocks = new Map<string, number>()
  const t0 = Date.now()
  const every = pollInterval(timeoutMs)
  let last = ''
  for (;;) {
    const listed = await kubectlList(ctx.runner, context, [FLUX_KINDS, '--all-namespaces'], 'reconcile')
    const a = assess(listed.items, roots)
    const line = listed.error && !listed.items.length ? `cannot list Flux objects yet: ${listed.error}` : progressLine(a)
    if (line !== last) { update(line); last = line }
    if (a.done && !listed.error) {
      return { note: `${a.total} Kustomizations/HelmReleases Ready${Date.now() - t0 > 1000 ? ` after ${formatMs(Date.now() - t0)}` : ''}`, assessment: a }
    }
    // nothing to time yet (Flux's CRDs missing, cluster unreachable): bounded by the timeout as a whole
    if (Date.now() - t0 > timeoutMs && (listed.error || a.total === 0)) {
      throw new StepError({
        step: 'reconcile',
        message: listed.error ? `cannot list the Flux objects after ${formatMs(timeoutMs)}: ${listed.error}` : `no Flux Kustomization appeared within ${formatMs(timeoutMs)}`,
        hint: `is Flux installed? kubectl --context ${context} -n flux-system get deploy; re-run up without --only/--skip flux`,
        exitCode: EXIT.timeout,
      })
    }
    const stalled = a.tracked.filter((t) => t.state === 'failed')
    if (stalled.length) throw failure(a, stalled, 'stalled (Flux gave up retrying)', EXIT.commandFailed, context)
    const expired = tick(clocks, a, Date.now(), timeoutMs)
    if (expired.length) {
      const causes = rootCauses(a)
      throw failure(a, causes.length ? causes : a.tracked.filter((t) => expired.includes(t.id)), `not Ready after ${formatMs(timeoutMs)} (RECONCILE_TIMEOUT)`, EXIT.timeout, context)
    }
    if (ctx.signal.aborted) return { note: 'interrupted', assessment: a }
    await sleep(every, ctx.signal)
  }
}

async function waitForRollouts(ctx: UpContext, update: (s: string) => void): Promise<string> {
  const context = kubeContext(ctx)
  const results = await Promise.all(ctx.config.environments.map(async (env) => {
    update(`rollout of demo in demo-${env}`)
    return { env, ...(await kubectlRolloutStatus(ctx.runner, context, `demo-${env}`, 'demo', ctx.config.reconcileTimeoutMs, 'reconcile')) }
  }))
  const bad = results.filter((r) => !r.ok)
  if (bad.length) {
    throw new StepError({
      step: 'reconcile',
      message: bad.map((b) => `deployment demo-${b.env}/demo: ${b.message}`).join('; '),
      hint: `kubectl --context ${context} -n demo-<env> describe deployment demo; the diagnostics bundle has events and pod logs`,
      exitCode: EXIT.timeout,
    })
  }
  // Without Flux nothing waits for cert-manager: the gateway's certificates must be issued before smoke speaks HTTPS
  update('certificates of the gateway')
  const certs = await kubectlWait(ctx.runner, context, ['certificates.cert-manager.io', '--all', '-n', 'ingress'], 'condition=Ready', ctx.config.reconcileTimeoutMs, 'reconcile')
  // no Certificates (an add-on left out), or no cert-manager CRDs at all: nothing to wait for
  if (!certs.ok && !/no matching resources found|doesn't have a resource type/.test(certs.message)) {
    throw new StepError({
      step: 'reconcile',
      message: `the gateway's certificates are not Ready: ${certs.message}`,
      hint: `kubectl --context ${context} -n ingress describe certificates; kubectl --context ${context} describe clusterissuer platform-local-ca (is Secret cert-manager/platform-local-ca there? up's tls phase creates it)`,
      exitCode: EXIT.timeout,
    })
  }
  return `demo rolled out in ${results.map((r) => r.env).join(', ')}${certs.ok ? '; certificates issued' : ''}`
}

export const reconcilePhase: Phase = {
  id: 'reconcile',
  title: 'wait for Ready',
  needs: ['flux'],
  async run(ctx, step) {
    const update = (s: string) => step?.update(s)
    if (ctx.dryRun) return { note: 'dry-run: nothing applied, nothing to wait for' }
    const note = ctx.config.fluxMode === 'none' ? await waitForRollouts(ctx, update) : (await waitForFlux(ctx, ctx.facts.flux?.roots ?? [], update)).note
    // Flux creates the app namespaces only now: record them for down (existing clusters)
    await rememberAppNamespaces(ctx, 'reconcile')
    return { note }
  },
}
