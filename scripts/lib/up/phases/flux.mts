// flux: get the GitOps content into the cluster.
//  oci  (default): install Flux (pinned version, dev-tuned) when it is not exactly there, push the GitOps
//        directories as an OCI artifact to the local registry when `flux diff artifact` says they changed, apply
//        bootstrap/ (registry name + image tag set at apply time) when `kubectl diff` says it changed, and ask
//        source-controller to fetch now when anything changed.
//  git:  `flux bootstrap git` (token only in the environment) unless the cluster already syncs that URL/branch
//        with that Flux version; then point the app Kustomizations at the image up built (spec.images).
//  none: no Flux: infrastructure/configs and the app overlays applied server-side, image replaced in the
//        rendered Deployments.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { EXIT, StepError } from '../../shell/errors.mts'
import { artifactMetadata, compareManifests, GITOPS_PATHS, stageArtifact, type FileChanges } from '../../flux/artifact.mts'
import { appKustomization, ARTIFACT_TAG, FLUX_NS, OCI_SOURCE, parseDocs, renderBootstrap, rootKustomizations, stringifyDocs, unwantedAppKustomizations } from '../../flux/bootstrap.mts'
import { decideInstall, FLUX_COMPONENTS, installedFlux, tuneInstallManifests } from '../../flux/install.mts'
import { objectId } from '../../flux/readiness.mts'
import { IMAGE_NAME, REGISTRY_INTERNAL_PORT } from '../../image/plan.mts'
import { fluxBootstrapGit, fluxDiffArtifact, fluxInstallExport, fluxPushArtifact, fluxReconcile, type ArtifactDiff } from '../../tools/flux.mts'
import { gitFacts } from '../../tools/git.mts'
import { kustomizeBuild } from '../../tools/kubectl.mts'
import { kubectlApplyServerSide, kubectlDelete, kubectlGetJson, kubectlList, kubectlMergePatch, kubectlWait, type KubeObject } from '../../tools/kubectl.mts'
import { registerSecret } from '../../shell/redact.mts'
import { writeFileAtomic } from '../../shell/state.mts'
import { kubeContext, portsOf } from '../context.mts'
import type { Phase, UpContext } from '../types.mts'
import { did } from '../wording.mts'
import { applyIfChanged, FIELD_MANAGER } from './addons.mts'
import { remember, rememberAppNamespaces, snapshotNamespaces } from '../installed.mts'

type Update = (s: string) => void

/**
 * FLUX_GIT_URL without credentials, and the credentials it carried (https://user:token@host/...): the token must
 * reach flux through GIT_PASSWORD, never argv or output.
 */
export function splitGitCredentials(url: string): { url: string; username?: string; password?: string } {
  const m = /^(https?:\/\/)([^/@]+)@(.+)$/.exec(url)
  if (!m) return { url }
  const [user, pass] = m[2]!.split(':') as [string, string | undefined]
  const password = pass ? decodeURIComponent(pass) : undefined
  registerSecret(password)
  registerSecret(pass)
  return { url: `${m[1]}${m[3]}`, username: decodeURIComponent(user), ...(password ? { password } : {}) }
}

/**
 * Combinations that cannot work, refused before anything is created: oci mode needs a registry the cluster can
 * pull from (only the kind provider has one); git mode must not sync bootstrap/ itself, which holds the OCI
 * source (bootstrap/README.md: the git variant is bootstrap/git).
 */
export function assertFluxModeSupported(ctx: Pick<UpContext, 'config'>): void {
  const c = ctx.config
  if (c.fluxMode === 'git' && c.fluxGitPath.replace(/^\.\//, '').replace(/\/+$/, '') === 'bootstrap') {
    throw new StepError({
      step: 'config',
      message: 'FLUX_GIT_PATH=bootstrap would make Flux apply the OCIRepository of the OCI mode from git',
      hint: 'set FLUX_GIT_PATH=bootstrap/git (the root Kustomizations reading from the GitRepository; see bootstrap/README.md)',
      exitCode: EXIT.usage,
    })
  }
  if (c.fluxMode === 'git' && /^https?:\/\//.test(c.fluxGitUrl) && !c.githubToken && !c.gitPassword && !splitGitCredentials(c.fluxGitUrl).password) {
    throw new StepError({
      step: 'config',
      message: `FLUX_MODE=git with ${splitGitCredentials(c.fluxGitUrl).url}: flux bootstrap pushes its manifests over https and needs a token`,
      hint: 'set GITHUB_TOKEN (GitHub) or GIT_PASSWORD (other hosts) in the environment or .env, or use an ssh:// URL with your SSH agent',
      exitCode: EXIT.usage,
    })
  }
  if (c.fluxMode === 'oci' && c.provider === 'existing') {
    throw new StepError({
      step: 'config',
      message: 'FLUX_MODE=oci pushes the GitOps artifact to the local registry, which PLATFORM_PROVIDER=existing does not have',
      hint: 'use FLUX_MODE=git (with FLUX_GIT_URL) or FLUX_MODE=none for an existing cluster',
      exitCode: EXIT.usage,
    })
  }
}

/** The demo image the apps should run: built this run, or the last one up built (e.g. with --skip image). */
export function demoImage(ctx: UpContext): { name: string; newName: string; newTag: string } | undefined {
  const tag = ctx.facts.image?.tag ?? (ctx.config.provider === 'kind' ? ctx.state.image?.tag : undefined)
  if (!tag) return undefined
  return { name: IMAGE_NAME, newName: `${ctx.config.registryName}:${REGISTRY_INTERNAL_PORT}/${IMAGE_NAME}`, newTag: tag }
}

export const artifactUrl = (port: number) => `oci://localhost:${port}/${OCI_SOURCE}:${ARTIFACT_TAG}`
const manifestFile = (ctx: UpContext) => path.join(ctx.stateDir, 'artifact-files.json')

// ---------- Flux installation ----------

export async function ensureFluxInstalled(ctx: UpContext, update: Update): Promise<string | undefined> {
  const context = kubeContext(ctx)
  const deps = await kubectlList(ctx.runner, context, ['deployments', '-n', FLUX_NS], 'flux/install')
  const decision = decideInstall(installedFlux(deps.items), ctx.config.fluxVersion)
  if (decision.action === 'skip') return undefined
  if (decision.action === 'leave') { ctx.ui.warn(decision.reason); return undefined }
  update(decision.reason)
  const manifests = tuneInstallManifests(await fluxInstallExport(ctx.runner, ctx.config.fluxVersion, [...FLUX_COMPONENTS], 'flux/install'))
  await kubectlApplyServerSide(ctx.runner, context, manifests, { fieldManager: FIELD_MANAGER, forceConflicts: true }, 'flux/install')
  if (!ctx.dryRun) {
    update('waiting for the Flux controllers')
    const w = await kubectlWait(ctx.runner, context, ['deployment', '-n', FLUX_NS, '-l', 'app.kubernetes.io/part-of=flux'], 'condition=Available', ctx.config.reconcileTimeoutMs, 'flux/install')
    if (!w.ok) {
      throw new StepError({ step: 'flux/install', message: `Flux controllers did not become Available: ${w.message}`, hint: `kubectl --context ${context} -n ${FLUX_NS} get pods; the diagnostics bundle has their logs`, exitCode: EXIT.timeout })
    }
  }
  ctx.facts.changed.push(`flux ${ctx.config.fluxVersion}`)
  if (decision.action === 'install') remember(ctx, { flux: true })
  return did(ctx, decision.reason, `would ${decision.action} Flux (${decision.reason})`)
}

// ---------- OCI artifact ----------

export interface ArtifactResult {
  pushed: boolean
  diff: ArtifactDiff
  changes: FileChanges
  revision: string
  digestUrl?: string
}

/** Stage the GitOps directories, compare with the registry, push when different. */
export async function syncArtifact(ctx: UpContext, update: Update): Promise<ArtifactResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-artifact-'))
  try {
    const staged = stageArtifact(ctx.root, dir)
    const url = artifactUrl(portsOf(ctx).registry)
    const previous = readManifest(ctx)
    const changes = compareManifests(previous, staged.files)
    update(`comparing ${Object.keys(staged.files).length} files with ${url}`)
    const diff = await fluxDiffArtifact(ctx.runner, url, dir, 'flux/artifact')
    const meta = artifactMetadata(ctx.root, await gitFacts(ctx.runner, ctx.root, GITOPS_PATHS, 'flux/artifact'), staged.hash)
    if (!diff.changed) return { pushed: false, diff, changes, revision: meta.revision }
    update(`pushing ${url} (${meta.revision})`)
    const digestUrl = await fluxPushArtifact(ctx.runner, url, dir, meta.source, meta.revision, 'flux/artifact')
    if (!ctx.dryRun) writeFileAtomic(manifestFile(ctx), `${JSON.stringify({ url, revision: meta.revision, digestUrl, files: staged.files }, null, 2)}\n`)
    ctx.facts.changed.push('gitops artifact')
    return { pushed: true, diff, changes, revision: meta.revision, digestUrl }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function readManifest(ctx: UpContext): Record<string, string> | undefined {
  try {
    return (JSON.parse(fs.readFileSync(manifestFile(ctx), 'utf8')) as { files?: Record<string, string> }).files
  } catch {
    return undefined
  }
}

// ---------- bootstrap ----------

export async function applyBootstrap(ctx: UpContext, update: Update): Promise<{ applied: boolean; roots: string[]; removed: string[] }> {
  const context = kubeContext(ctx)
  const built = parseDocs(await kustomizeBuild(ctx.runner, path.join(ctx.root, 'bootstrap'), 'flux/bootstrap'))
  const image = demoImage(ctx)
  const objs = renderBootstrap(built, { registryName: ctx.config.registryName, environments: ctx.config.environments, ...(image ? { image } : {}) })
  const roots = rootKustomizations(objs)
  update('comparing bootstrap/ with the cluster')
  const applied = await applyIfChanged(ctx, stringifyDocs(objs), 'flux/bootstrap')
  if (applied) ctx.facts.changed.push('flux bootstrap')
  const live = await kubectlList(ctx.runner, context, ['kustomizations.kustomize.toolkit.fluxcd.io', '-n', FLUX_NS], 'flux/bootstrap')
  const removed = unwantedAppKustomizations(live.items.map((o) => o.metadata.name), ctx.config.environments)
  for (const name of removed) {
    await kubectlDelete(ctx.runner, context, 'kustomizations.kustomize.toolkit.fluxcd.io', name, FLUX_NS, 'flux/bootstrap')
    ctx.facts.changed.push(`removed ${name}`)
  }
  return { applied, roots, removed }
}

async function runOci(ctx: UpContext, update: Update): Promise<string> {
  const notes: string[] = []
  const installed = await ensureFluxInstalled(ctx, update)
  if (installed) notes.push(installed)
  const art = await syncArtifact(ctx, update)
  notes.push(art.pushed ? did(ctx, `pushed ${art.revision}`, `would push ${art.revision}`) : 'artifact unchanged')
  const boot = await applyBootstrap(ctx, update)
  if (boot.applied) notes.push(did(ctx, 'bootstrap applied', 'would apply the bootstrap'))
  if (boot.removed.length) notes.push(`${did(ctx, 'removed', 'would remove')} ${boot.removed.join(', ')}`)
  if (installed || art.pushed || boot.applied) {
    update('asking source-controller to fetch the artifact now')
    await fluxReconcile(ctx.runner, kubeContext(ctx), ['source', 'oci'], OCI_SOURCE, FLUX_NS, ctx.config.reconcileTimeoutMs, {}, 'flux/reconcile')
  }
  ctx.facts.flux = { mode: 'oci', roots: boot.roots.map((n) => objectId('Kustomization', FLUX_NS, n)), pushed: art.pushed, revision: art.revision }
  return notes.join('; ')
}

// ---------- git ----------

const normalizeGitUrl = (u: string) => u.replace(/^(ssh|https?):\/\//, '').replace(/^[^@/]+@/, '').replace(/:(?!\d)/, '/').replace(/\.git$/, '').replace(/\/+$/, '').toLowerCase()

async function runGit(ctx: UpContext, update: Update): Promise<string> {
  const c = ctx.config
  const git = splitGitCredentials(c.fluxGitUrl)
  const context = kubeContext(ctx)
  const [repo, deps] = await Promise.all([
    kubectlGetJson<KubeObject>(ctx.runner, context, ['gitrepositories.source.toolkit.fluxcd.io', 'flux-system', '-n', FLUX_NS], 'flux/git'),
    kubectlList(ctx.runner, context, ['deployments', '-n', FLUX_NS], 'flux/git'),
  ])
  const current = installedFlux(deps.items)
  const syncing = repo.ok && repo.data?.spec
    && normalizeGitUrl(String(repo.data.spec.url ?? '')) === normalizeGitUrl(git.url)
    && repo.data.spec.ref?.branch === c.fluxGitBranch
  const notes: string[] = []
  if (!(syncing && current.version === c.fluxVersion)) {
    update(`flux bootstrap git ${git.url} (${c.fluxGitBranch}, ./${c.fluxGitPath})`)
    const github = /github\.com[/:]/.test(git.url)
    const password = (github ? c.githubToken || c.gitPassword : c.gitPassword || c.githubToken) || git.password
    await fluxBootstrapGit(ctx.runner, context, {
      url: git.url, branch: c.fluxGitBranch, path: c.fluxGitPath, version: c.fluxVersion,
      components: [...FLUX_COMPONENTS], timeoutMs: c.reconcileTimeoutMs, ...(password ? { password } : {}), ...(git.username ? { username: git.username } : {}),
    }, 'flux/git')
    ctx.facts.changed.push('flux bootstrap git')
    if (!current.version) remember(ctx, { flux: true })
    notes.push(`${did(ctx, 'bootstrapped', 'would bootstrap')} from ${git.url}`)
  }
  const image = demoImage(ctx)
  if (image) {
    // Only spec.images, by merge patch under our own field manager: kustomize-controller applies everything else
    // from git and leaves fields it does not own alone (it only undoes `kubectl edit/patch` by the "kubectl" manager).
    const live = await kubectlList(ctx.runner, context, ['kustomizations.kustomize.toolkit.fluxcd.io', '-n', FLUX_NS], 'flux/git')
    const missing: string[] = []
    for (const env of c.environments) {
      const ks = live.items.find((o) => o.metadata.name === appKustomization(env))
      if (!ks) { missing.push(appKustomization(env)); continue }
      if (JSON.stringify(ks.spec?.images ?? []) === JSON.stringify([image])) continue
      await kubectlMergePatch(ctx.runner, context, 'kustomizations.kustomize.toolkit.fluxcd.io', appKustomization(env), FLUX_NS, { spec: { images: [image] } }, FIELD_MANAGER, 'flux/git')
      ctx.facts.changed.push(`image override ${env}`)
      notes.push(did(ctx, `${appKustomization(env)} uses demo:${image.newTag}`, `would point ${appKustomization(env)} at demo:${image.newTag}`))
    }
    if (missing.length) ctx.ui.warn(`Kustomizations ${missing.join(', ')} do not exist yet; re-run up to point them at demo:${image.newTag}`)
  }
  const roots = [objectId('Kustomization', FLUX_NS, 'flux-system')]
  const gitDir = path.join(ctx.root, c.fluxGitPath)
  if (fs.existsSync(path.join(gitDir, 'kustomization.yaml'))) {
    roots.push(...rootKustomizations(parseDocs(await kustomizeBuild(ctx.runner, gitDir, 'flux/git'))).map((n) => objectId('Kustomization', FLUX_NS, n)))
  }
  ctx.facts.flux = { mode: 'git', roots, pushed: false }
  return notes.join('; ') || `already syncing ${git.url}@${c.fluxGitBranch}`
}

// ---------- none ----------

/** Replace the demo image in rendered Deployments (what spec.images does in the Flux modes). */
export function setDemoImage(objs: Record<string, any>[], ref: string): Record<string, any>[] {
  const isDemo = (image: string) => {
    const repo = image.replace(/@.*$/, '').replace(/:[^/:]+$/, '')
    return repo === IMAGE_NAME || repo.endsWith(`/${IMAGE_NAME}`)
  }
  for (const o of objs) {
    if (o.kind !== 'Deployment') continue
    for (const c of [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.template?.spec?.initContainers ?? [])]) {
      if (typeof c.image === 'string' && isDemo(c.image)) c.image = ref
    }
  }
  return objs
}

async function runNone(ctx: UpContext, update: Update): Promise<string> {
  const notes: string[] = []
  update('infrastructure/configs')
  const configs = await kustomizeBuild(ctx.runner, path.join(ctx.root, 'infrastructure', 'configs'), 'flux/none')
  if (await applyIfChanged(ctx, configs, 'flux/none')) { ctx.facts.changed.push('infrastructure configs'); notes.push(did(ctx, 'infrastructure/configs applied', 'would apply infrastructure/configs')) }
  const image = demoImage(ctx)
  for (const env of ctx.config.environments) {
    update(`apps/overlays/${env}`)
    let objs = parseDocs(await kustomizeBuild(ctx.runner, path.join(ctx.root, 'apps', 'overlays', env), 'flux/none'))
    if (image) objs = setDemoImage(objs, `${image.newName}:${image.newTag}`)
    if (await applyIfChanged(ctx, stringifyDocs(objs), 'flux/none')) { ctx.facts.changed.push(`apps ${env}`); notes.push(did(ctx, `${env} applied`, `would apply ${env}`)) }
  }
  ctx.facts.flux = { mode: 'none', roots: [], pushed: false }
  return notes.join('; ') || 'manifests unchanged'
}

export async function runFlux(ctx: UpContext, update: Update = () => {}): Promise<string> {
  assertFluxModeSupported(ctx)
  // existing clusters: the app namespaces up brings (through Flux or directly) are recorded for down
  await snapshotNamespaces(ctx, 'flux')
  const note = ctx.config.fluxMode === 'oci' ? await runOci(ctx, update) : ctx.config.fluxMode === 'git' ? await runGit(ctx, update) : await runNone(ctx, update)
  await rememberAppNamespaces(ctx, 'flux')
  return note
}

export const fluxPhase: Phase = {
  id: 'flux',
  title: 'Flux and the GitOps content',
  needs: ['wiring', 'image', 'addons'],
  async run(ctx, step) {
    return { note: await runFlux(ctx, (s) => step?.update(s)) }
  },
}
