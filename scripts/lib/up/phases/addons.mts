// addons: what must exist before Flux (or instead of it, FLUX_MODE=none):
//  1. the platform namespaces (with their Pod Security labels) from infrastructure/controllers/namespaces.yaml;
//  2. the Secret monitoring/grafana-admin (password from GRAFANA_ADMIN_PASSWORD or generated once, 0600 file);
//  3. Helm releases with `helm upgrade --install --wait`: metrics-server before Flux (the HPAs need metrics
//     from the start), every add-on in FLUX_MODE=none, plus any named with --helm. Chart, version and values
//     come from the same files Flux uses (scripts/lib/helm/addons.mts). Independent releases install in parallel.
// Each part observes first and acts only on a difference.

import fs from 'node:fs'
import { chartArgs, namespaceFiles, readAddons, type Addon } from '../../helm/addons.mts'
import { EXIT, StepError } from '../../shell/errors.mts'
import { parseDocs } from '../../flux/bootstrap.mts'
import { addonsToInstall, decideRelease, desiredValues, inDependencyOrder } from '../../helm/plan.mts'
import { GRAFANA_SECRET, GRAFANA_USER, grafanaSecretManifest, resolveGrafanaPassword, secretMatches, storePassword } from '../../secrets/grafana.mts'
import { helmGetValues, helmList, helmUpgradeInstall, helmVersion, rollbackFlagFor } from '../../tools/helm.mts'
import { kubectlApplyServerSide, kubectlDiffServerSide, kubectlGetJson } from '../../tools/kubectl.mts'
import { kubeContext } from '../context.mts'
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

async function installReleases(ctx: UpContext, addons: Addon[], update: (s: string) => void): Promise<string[]> {
  if (!addons.length) return []
  const context = kubeContext(ctx)
  const listed = await helmList(ctx.runner, context, 'addons')
  if (!listed.ok && !ctx.dryRun) {
    throw new StepError({ step: 'addons', message: `helm cannot list releases: ${listed.error}`, hint: `check that the cluster behind context ${context} is reachable (kubectl --context ${context} get nodes)`, exitCode: EXIT.commandFailed })
  }
  const rollbackFlag = rollbackFlagFor((await helmVersion(ctx.runner, 'addons')).version)
  const notes: string[] = []
  const running = new Set<string>()
  const show = () => { if (running.size) update(`helm: ${[...running].join(', ')}`) }
  await inDependencyOrder(addons, async (a) => {
    const current = listed.releases.find((r) => r.name === a.name && r.namespace === a.namespace)
    const wanted = desiredValues(a)
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
        ...(a.values ? { valuesYaml: JSON.stringify(a.values) } : {}),
        // HELM_TIMEOUT is the limit (its default covers the longest spec.timeout in infrastructure/)
        timeoutMs: ctx.config.helmTimeoutMs,
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
  needs: ['cluster'],
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
    const helmNotes = await installReleases(ctx, chosen, (s) => step?.update(s))
    ctx.facts.helm = { releases: chosen.map((a) => a.name), changed: helmNotes }
    notes.push(...helmNotes)
    const done = notes.filter(Boolean)
    return { note: done.length ? done.join('; ') : `up to date (${chosen.map((a) => a.name).join(', ')} via helm)` }
  },
}
