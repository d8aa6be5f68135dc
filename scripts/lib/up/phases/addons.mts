// addons: what must exist before Flux (or instead of it, FLUX_MODE=none):
//  1. the platform namespaces (with their Pod Security labels) from infrastructure/controllers/namespaces.yaml;
//  2. the Secret monitoring/grafana-admin (password from GRAFANA_ADMIN_PASSWORD or generated once, 0600 file);
//  3. Helm releases with `helm upgrade --install --wait`: metrics-server before Flux (the HPAs need metrics
//     from the start), every add-on in FLUX_MODE=none, plus any named with --helm. Chart, version and values
//     come from the same files Flux uses (scripts/lib/helm/addons.mts). Independent releases install in parallel.
//     A release left pending by a helm that died is recovered first (helm/pending.mts), saying so.
//  4. Values only known at run time (Grafana's root_url with the real gateway host port, helm/runtime-values.mts):
//     a ConfigMap for Flux's optional valuesFrom, and one more values layer for the plain helm installs.
// Each part observes first and acts only on a difference.

import fs from 'node:fs'
import { chartArgs, namespaceFiles, readAddons, type Addon } from '../../helm/addons.mts'
import { EXIT, StepError } from '../../shell/errors.mts'
import { parseDocs } from '../../flux/bootstrap.mts'
import { addonsToInstall, decideRelease, desiredValues, inDependencyOrder, stdinValues } from '../../helm/plan.mts'
import { runtimeValues, runtimeValuesManifest } from '../../helm/runtime-values.mts'
import { GRAFANA_SECRET, GRAFANA_USER, grafanaSecretManifest, resolveGrafanaPassword, secretMatches, storePassword } from '../../secrets/grafana.mts'
import { isPending, planPendingRecovery } from '../../helm/pending.mts'
import { helmGetValues, helmHistory, helmList, helmRollback, helmUninstall, helmUpgradeInstall, helmVersion, rollbackFlagFor, type HelmReleaseInfo } from '../../tools/helm.mts'
import { getObject, kubectlApplyServerSide, kubectlDiffServerSide, kubectlGetJson, kubectlMergePatch } from '../../tools/kubectl.mts'
import { kubeContext, portsOf } from '../context.mts'
import { existingNamespaces, remember, rememberNewNamespaces } from '../installed.mts'
import type { Phase, UpContext } from '../types.mts'
import { did } from '../wording.mts'

export const FIELD_MANAGER = 'platform-up'

/** Server-side apply `yaml` unless `kubectl diff` says it is already in place. Returns whether it applied. */
export async function applyIfChanged(ctx: UpContext, yaml: string, step: string, forceConflicts = true): Promise<boolean> {
  const context = kubeContext(ctx)
  const diff = await kubectlDiffServerSide(ctx.runner, context, yaml, FIELD_MANAGER, step)
  if (!diff.changed) return false
  await kubectlApplyServerSide(ctx.runner, context, yaml, { fieldManager: FIELD_MANAGER, forceConflicts }, step)
  return true
}

async function ensureNamespaces(ctx: UpContext): Promise<string | undefined> {
  const files = namespaceFiles(ctx.root)
  if (!files.length) return undefined
  const yaml = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n---\n')
  const before = await existingNamespaces(ctx, 'addons/namespaces')
  if (await applyIfChanged(ctx, yaml, 'addons/namespaces')) {
    ctx.facts.changed.push('platform namespaces')
    const names = parseDocs(yaml).filter((o) => o.kind === 'Namespace').map((o) => String(o.metadata?.name))
    await rememberNewNamespaces(ctx, before, names, 'addons/namespaces')
    return did(ctx, 'namespaces applied', 'would apply the namespaces')
  }
  return undefined
}

async function ensureGrafanaSecret(ctx: UpContext): Promise<string | undefined> {
  const resolved = resolveGrafanaPassword(ctx.config.grafanaAdminPassword, ctx.stateDir)
  const userGiven = resolved.source === 'GRAFANA_ADMIN_PASSWORD'
  if (resolved.write && !ctx.dryRun) storePassword(resolved)
  ctx.facts.grafana = userGiven ? { user: GRAFANA_USER, passwordFrom: 'GRAFANA_ADMIN_PASSWORD' } : { user: GRAFANA_USER, passwordFile: resolved.file }
  if (!userGiven && ctx.state.grafana?.secretFile !== resolved.file) {
    ctx.state.grafana = { secretFile: resolved.file }
    ctx.saveState()
  }
  // once the Secret holds the user's password, a stored one would only mislead (forward points at it)
  const dropStored = () => { if (resolved.removeStored && !ctx.dryRun) fs.rmSync(resolved.file, { force: true }) }
  const live = await kubectlGetJson<{ data?: Record<string, string> }>(ctx.runner, kubeContext(ctx), ['secret', GRAFANA_SECRET.name, '-n', GRAFANA_SECRET.namespace, '--ignore-not-found'], 'addons/grafana-secret')
  if (live.ok && secretMatches(live.data, resolved.password)) { dropStored(); return undefined }
  await kubectlApplyServerSide(ctx.runner, kubeContext(ctx), grafanaSecretManifest(resolved.password), { fieldManager: FIELD_MANAGER, forceConflicts: true }, 'addons/grafana-secret')
  dropStored()
  ctx.facts.changed.push('grafana admin secret')
  return `${live.data?.data ? did(ctx, 'updated', 'would update') : did(ctx, 'created', 'would create')} Secret ${GRAFANA_SECRET.namespace}/${GRAFANA_SECRET.name} (password: ${resolved.source})`
}

/** The runtime values layers of an add-on (in valuesFrom order), for the values the scripts know. */
function runtimeLayers(ctx: UpContext, a: Addon): Record<string, unknown>[] {
  return a.runtimeValues.map((ref) => runtimeValues(ref, { httpPort: portsOf(ctx).http })).filter((v): v is Record<string, unknown> => Boolean(v))
}

/**
 * Flux's side of the runtime values: one ConfigMap per optional valuesFrom entry the scripts can fill, applied
 * when it differs. A changed one also asks helm-controller to reconcile its HelmRelease now (Flux 2.7's
 * helm-controller does not watch valuesFrom ConfigMaps; 2.8 does, through the label the ConfigMap carries).
 */
async function ensureRuntimeValues(ctx: UpContext, addons: Addon[]): Promise<string | undefined> {
  if (ctx.config.fluxMode === 'none') return undefined
  const context = kubeContext(ctx)
  const applied: string[] = []
  for (const a of addons) {
    for (const ref of a.runtimeValues) {
      const values = runtimeValues(ref, { httpPort: portsOf(ctx).http })
      if (!values) continue
      if (!(await applyIfChanged(ctx, runtimeValuesManifest(ref, values), 'addons/runtime-values'))) continue
      applied.push(`ConfigMap ${ref.namespace}/${ref.configMap}`)
      ctx.facts.changed.push(`runtime values ${ref.configMap}`)
      const hr = await getObject(ctx.runner, context, 'helmreleases.helm.toolkit.fluxcd.io', a.release.name, a.release.namespace, 'addons/runtime-values')
      if (hr) {
        await kubectlMergePatch(ctx.runner, context, 'helmreleases.helm.toolkit.fluxcd.io', a.release.name, a.release.namespace,
          { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() } } }, FIELD_MANAGER, 'addons/runtime-values')
      }
    }
  }
  return applied.length ? `${applied.join(', ')} ${ctx.dryRun ? 'would be ' : ''}applied` : undefined
}

/**
 * A release stuck in pending-* (helm died mid-operation) would fail every `helm upgrade` from now on. Recover it
 * the way helm/pending.mts decides, after a warning naming the release and the command; under --dry-run only
 * say what would run. Returns the release as it is afterwards (undefined: uninstalled, install it again).
 */
async function recoverPending(ctx: UpContext, a: Addon, current: HelmReleaseInfo, timeoutMs: number): Promise<HelmReleaseInfo | undefined> {
  const context = kubeContext(ctx)
  const step = `addons/${a.name}`
  const hist = await helmHistory(ctx.runner, context, a.name, a.namespace, step)
  const plan = planPendingRecovery({ name: a.name, namespace: a.namespace, context, current, history: hist.entries, now: Date.now(), quietMs: timeoutMs })!
  if (plan.action === 'stop') {
    throw new StepError({ step, message: plan.reason, hint: `wait for it to end and re-run up; if nothing is working on it: ${plan.command}`, exitCode: EXIT.precondition })
  }
  const would = ctx.dryRun ? 'would ' : ''
  if (plan.action === 'uninstall') {
    ctx.ui.warn(`${plan.reason}; ${would}uninstall it and install again: ${plan.command}`)
    await helmUninstall(ctx.runner, context, a.name, a.namespace, timeoutMs, step)
    if (!ctx.dryRun) ctx.facts.changed.push(`helm ${a.name} (pending install removed)`)
    return ctx.dryRun ? current : undefined
  }
  ctx.ui.warn(`${plan.reason}; ${would}roll back to revision ${plan.revision}: ${plan.command}`)
  await helmRollback(ctx.runner, context, a.name, a.namespace, plan.revision, timeoutMs, step)
  if (ctx.dryRun) return current
  ctx.facts.changed.push(`helm ${a.name} (rolled back to ${plan.revision})`)
  const target = hist.entries.find((h) => h.revision === plan.revision)
  return { ...current, status: 'deployed', revision: String(Number(hist.entries.at(-1)?.revision ?? current.revision) + 1), chart: target?.chart ?? current.chart }
}

async function installReleases(ctx: UpContext, addons: Addon[], update: (s: string) => void): Promise<string[]> {
  if (!addons.length) return []
  const context = kubeContext(ctx)
  const listed = await helmList(ctx.runner, context, 'addons')
  if (!listed.ok && !ctx.dryRun) {
    throw new StepError({ step: 'addons', message: `helm cannot list releases: ${listed.error}`, hint: `check that the cluster behind context ${context} is reachable (kubectl --context ${context} get nodes)`, exitCode: EXIT.commandFailed })
  }
  const rollbackFlag = rollbackFlagFor(ctx.facts.helmVersion ?? (await helmVersion(ctx.runner, 'addons')).version)
  const notes: string[] = []
  const running = new Set<string>()
  const show = () => { if (running.size) update(`helm: ${[...running].join(', ')}`) }
  await inDependencyOrder(addons, async (a) => {
    // HELM_TIMEOUT is the user's bound (its default covers the longest spec.timeout in infrastructure/)
    const timeoutMs = ctx.config.helmTimeoutMs
    let current = listed.releases.find((r) => r.name === a.name && r.namespace === a.namespace)
    if (current && isPending(current.status)) current = await recoverPending(ctx, a, current, timeoutMs)
    const runtime = runtimeLayers(ctx, a)
    const wanted = desiredValues(a, runtime)
    const extra = stdinValues(a, runtime)
    const values = current ? await helmGetValues(ctx.runner, context, a.name, a.namespace, 'addons') : undefined
    const d = decideRelease(a, current, values, wanted)
    if (d.action === 'skip') return
    running.add(a.name)
    show()
    try {
      await helmUpgradeInstall(ctx.runner, context, {
        release: a.name,
        namespace: a.namespace,
        chart: chartArgs(a),
        valuesFiles: a.valuesFiles,
        ...(extra ? { valuesYaml: JSON.stringify(extra) } : {}),
        timeoutMs,
        rollbackFlag,
        skipCrds: !a.crds,
      }, `addons/${a.name}`)
    } finally {
      running.delete(a.name)
      show()
    }
    ctx.facts.changed.push(`helm ${a.name}`)
    if (d.action === 'install') remember(ctx, { helmRelease: { name: a.name, namespace: a.namespace } })
    notes.push(did(ctx, d.reason, `${a.name}: would ${d.action} (${d.reason.slice(a.name.length + 2)})`))
  })
  return notes
}

export const addonsPhase: Phase = {
  id: 'addons',
  title: 'namespaces, secrets, helm add-ons',
  // nodes pull the add-ons' images: through the caches when there are any
  needs: ['cluster', 'mirror-wiring'],
  async run(ctx, step) {
    const all = readAddons(ctx.root)
    let chosen: Addon[]
    try {
      chosen = addonsToInstall(all, ctx.config.fluxMode, (ctx.flags.helm as string[] | undefined) ?? [])
    } catch (e) {
      throw new StepError({ step: 'addons', message: (e as Error).message, hint: 'name add-ons by their Helm release name in --helm', exitCode: EXIT.usage })
    }
    step?.update('namespaces')
    const notes = [await ensureNamespaces(ctx)]
    step?.update('grafana admin secret')
    notes.push(await ensureGrafanaSecret(ctx))
    step?.update('runtime values')
    notes.push(await ensureRuntimeValues(ctx, all))
    const helmNotes = await installReleases(ctx, chosen, (s) => step?.update(s))
    ctx.facts.helm = { releases: chosen.map((a) => a.name), changed: helmNotes }
    notes.push(...helmNotes)
    const done = notes.filter(Boolean)
    return { note: done.length ? done.join('; ') : `up to date (${chosen.map((a) => a.name).join(', ')} via helm)` }
  },
}
