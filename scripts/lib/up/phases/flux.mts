// flux: get the GitOps content into the cluster.
//  oci  (default): install Flux (pinned version, dev-tuned) when it is not exactly there; push, when `flux diff
//        artifact` says they changed, the `platform` artifact (bootstrap/, infrastructure/) and the `apps` artifact
//        (apps/, the demo image pinned inside) to dev's tag only (the other environments' tags: created on a fresh
//        platform, then moved by promote); apply bootstrap/ (registry name set at apply time) when `kubectl diff`
//        says it changed, and ask source-controller to fetch what moved.
//  git:  `flux bootstrap git` (token only in the environment) unless the cluster already syncs that URL/branch
//        with that Flux version; then point the app Kustomizations at the image up built (spec.images).
//  none: no Flux: infrastructure/configs and the app overlays applied server-side, image replaced in the
//        rendered Deployments.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { EXIT, StepError } from '../../shell/errors.mts'
import { APPS_PATHS, artifactMetadata, compareManifests, GITOPS_PATHS, PLATFORM_PATHS, stageArtifact, type FileChanges, type StageTransform } from '../../flux/artifact.mts'
import { appsSource, appsTransform, appsUrl, entryEnvironment, ladder, previousTag } from '../../flux/apps-artifact.mts'
import type { Environment } from '../../shell/config.mts'
import { digestOf } from '../../promote/digest.mts'
import { appendMove } from '../../promote/history.mts'
import { runningByEnv } from '../../promote/rules.mts'
import { moveTag, readTags } from '../../promote/tags.mts'
import { appKustomization, ARTIFACT_TAG, FLUX_NS, OCI_SOURCE, parseDocs, renderBootstrap, rootKustomizations, stringifyDocs, unwantedAppKustomizations } from '../../flux/bootstrap.mts'
import { decideInstall, FLUX_COMPONENTS, installedFlux, tuneInstallManifests } from '../../flux/install.mts'
import { objectId } from '../../flux/readiness.mts'
import { IMAGE_NAME, REGISTRY_INTERNAL_PORT } from '../../image/plan.mts'
import { fluxBootstrapGit, fluxDiffArtifact, fluxInstallExport, fluxPushArtifact, fluxReconcile, fluxTagArtifact, type ArtifactDiff } from '../../tools/flux.mts'
import { gitFacts } from '../../tools/git.mts'
import { kustomizeBuild } from '../../tools/kubectl.mts'
import { kubectlApplyServerSide, kubectlDelete, kubectlGetJson, kubectlList, kubectlMergePatch, kubectlWait, type KubeObject } from '../../tools/kubectl.mts'
import { registerSecret } from '../../shell/redact.mts'
import { writeStateFile } from '../../shell/state.mts'
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

/** FLUX_GIT_SSH_KEY_FILE as an absolute path: ~/ is the home directory, a relative path is under the repo root. */
export function sshKeyPath(file: string, root: string): string {
  if (!file) return ''
  if (file === '~' || file.startsWith('~/')) return path.join(os.homedir(), file.slice(1))
  return path.resolve(root, file)
}

const isSshUrl = (url: string) => /^ssh:\/\//i.test(url)

/**
 * Combinations that cannot work, refused before anything is created: oci mode needs a registry the cluster can
 * pull from (only the kind provider has one); git mode must not sync bootstrap/ itself, which holds the OCI
 * source (bootstrap/README.md: the git variant is bootstrap/git); git over ssh needs a key the repository knows.
 */
export function assertFluxModeSupported(ctx: Pick<UpContext, 'config' | 'root'>): void {
  const c = ctx.config
  const usage = (message: string, hint: string) => new StepError({ step: 'config', message, hint, exitCode: EXIT.usage })
  if (c.fluxMode === 'git' && /^[\w.-]+@[\w.-]+:(?!\/\/)/.test(c.fluxGitUrl)) {
    // scp-like syntax: flux's url.Parse has no scheme for it (transportForURL: `scheme %q is not supported`)
    const m = /^([\w.-]+)@([\w.-]+):(.*)$/.exec(c.fluxGitUrl)!
    throw usage(`FLUX_GIT_URL=${c.fluxGitUrl} is scp-like syntax, which flux bootstrap does not accept`, `write it as a URL: FLUX_GIT_URL=ssh://${m[1]}@${m[2]}/${m[3]!.replace(/^\/+/, '')}`)
  }
  if (c.fluxMode === 'git' && isSshUrl(c.fluxGitUrl)) {
    // flux2 cmd/flux/bootstrap_git.go: without --private-key-file, transportForURL returns no auth (the CLI pushes
    // with the local SSH agent) but sourcesecret generates a new key pair for the cluster, which --silent never
    // asks anyone to register; bootstrap then fails the GitRepository health check when its timeout runs out.
    if (!c.fluxGitSshKeyFile) {
      throw usage(
        `FLUX_MODE=git over ${c.fluxGitUrl} needs FLUX_GIT_SSH_KEY_FILE: without a key flux would push with your SSH agent but give the cluster a new deploy key nobody added to the repository, and the bootstrap would fail after ${Math.round(c.reconcileTimeoutMs / 60_000)}m waiting for the GitRepository`,
        'set FLUX_GIT_SSH_KEY_FILE to the private key of a deploy key with write access to the repository (and FLUX_GIT_SSH_KEY_PASSPHRASE if it has one), or use an https:// URL with GITHUB_TOKEN or GIT_PASSWORD',
      )
    }
    const file = sshKeyPath(c.fluxGitSshKeyFile, ctx.root)
    let problem = ''
    try {
      if (!fs.statSync(file).isFile()) problem = 'is not a file'
      else {
        // read here only to recognise the format (x/crypto/ssh takes PEM/OpenSSH private keys); never printed
        const head = fs.readFileSync(file, 'utf8').slice(0, 4096)
        if (/^\s*(ssh-|ecdsa-|sk-)/.test(head)) problem = 'is a public key'
        else if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(head)) problem = 'is not a PEM/OpenSSH private key'
      }
    } catch (e) {
      problem = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'
    }
    if (problem) throw usage(`FLUX_GIT_SSH_KEY_FILE=${c.fluxGitSshKeyFile} ${problem}${file !== c.fluxGitSshKeyFile ? ` (${file})` : ''}`, 'point FLUX_GIT_SSH_KEY_FILE at the private key file (not the .pub) of the repository\'s deploy key')
  }
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
      hint: 'set GITHUB_TOKEN (GitHub) or GIT_PASSWORD (other hosts) in the environment or .env, or use an ssh:// URL with FLUX_GIT_SSH_KEY_FILE',
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

// ---------- OCI artifacts ----------

export interface ArtifactResult {
  pushed: boolean
  diff: ArtifactDiff
  changes: FileChanges
  revision: string
  digestUrl?: string
}

interface ArtifactSpec {
  url: string
  paths: readonly string[]
  transform?: StageTransform
  /** state file with the pushed file list (sync lists what changed since) */
  manifest: string
  label: string
  /** runs after the comparison said "changed", right before the push (keeps the previous digest of a tag) */
  beforePush?: () => Promise<void>
}

/** Stage the directories, compare with the registry (`flux diff artifact`), push when different. */
async function stageAndPush(ctx: UpContext, a: ArtifactSpec, update: Update): Promise<ArtifactResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-artifact-'))
  const manifest = path.join(ctx.stateDir, a.manifest)
  try {
    const staged = stageArtifact(ctx.root, dir, a.paths, a.transform)
    const changes = compareManifests(readManifest(manifest), staged.files)
    update(`comparing ${Object.keys(staged.files).length} files with ${a.url}`)
    const diff = await fluxDiffArtifact(ctx.runner, a.url, dir, 'flux/artifact')
    const meta = artifactMetadata(ctx.root, await gitFacts(ctx.runner, ctx.root, GITOPS_PATHS, 'flux/artifact'), staged.hash)
    if (!diff.changed) return { pushed: false, diff, changes, revision: meta.revision }
    await a.beforePush?.()
    update(`pushing ${a.url} (${meta.revision})`)
    const digestUrl = await fluxPushArtifact(ctx.runner, a.url, dir, meta.source, meta.revision, 'flux/artifact')
    if (!ctx.dryRun) writeStateFile(ctx.stateDir, a.manifest, `${JSON.stringify({ url: a.url, revision: meta.revision, digestUrl, files: staged.files }, null, 2)}\n`)
    ctx.facts.changed.push(a.label)
    return { pushed: true, diff, changes, revision: meta.revision, ...(digestUrl ? { digestUrl } : {}) }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function readManifest(file: string): Record<string, string> | undefined {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { files?: Record<string, string> }).files
  } catch {
    return undefined
  }
}

/** The platform artifact (bootstrap/ + infrastructure/): what the infrastructure follows, pushed as it changes. */
export async function syncArtifact(ctx: UpContext, update: Update): Promise<ArtifactResult> {
  return stageAndPush(ctx, { url: artifactUrl(portsOf(ctx).registry), paths: PLATFORM_PATHS, manifest: 'artifact-files.json', label: 'gitops artifact' }, update)
}

export interface AppsArtifactResult extends ArtifactResult {
  /** the environment the push moved (dev, unless ENVIRONMENTS leaves it out) */
  entry?: Environment
  /** the digest the entry tag names now (unknown under --dry-run when pushed) */
  digest?: string
  /** environments whose tag did not exist and was created (at the entry's digest on a fresh platform) */
  seeded: Environment[]
}

/**
 * The apps artifact (apps/base + apps/overlays, the demo image pinned in every overlay): pushed to the entry
 * environment's tag only when its content changed, the digest that tag named kept as <entry>-previous first.
 * Environments whose tag does not exist yet start at the entry's digest, so a fresh platform runs one digest
 * everywhere (one that already runs a digest gets its tag back at that digest); after that only `promote`
 * moves them.
 */
export async function syncAppsArtifact(ctx: UpContext, update: Update): Promise<AppsArtifactResult> {
  const port = portsOf(ctx).registry
  const entry = entryEnvironment(ctx.config.environments)
  const image = demoImage(ctx)
  const tags = await readTags(ctx.runner, port, 'flux/artifact')
  if (!entry) return { pushed: false, diff: { changed: false, message: '' }, changes: { added: [], changed: [], removed: [] }, revision: '', seeded: [] }
  const before = tags.get(entry)
  const res = await stageAndPush(ctx, {
    url: appsUrl(port, { tag: entry }),
    paths: APPS_PATHS,
    ...(image ? { transform: appsTransform(image)! } : {}),
    manifest: 'apps-artifact-files.json',
    label: `apps artifact (${entry})`,
    // the push itself moves the tag: keep what it named for --undo
    beforePush: async () => { if (before) await fluxTagArtifact(ctx.runner, appsUrl(port, { digest: before }), [previousTag(entry)], 'flux/artifact') },
  }, update)
  const digest = res.pushed ? digestOf(res.digestUrl) : before
  if (res.pushed && digest && !ctx.dryRun) appendMove(ctx.stateDir, { at: new Date().toISOString(), env: entry, action: 'sync', ...(before ? { from: before } : {}), to: digest })
  const seeded: Environment[] = []
  const missing = ladder(ctx.config.environments).filter((e) => e !== entry && !tags.has(e))
  // a tag that went missing (deleted by hand, a registry reset) comes back at what its environment runs, never
  // at dev's digest: only promote moves an environment that already runs something
  const running = missing.length
    ? runningByEnv((await kubectlList(ctx.runner, kubeContext(ctx), ['kustomizations.kustomize.toolkit.fluxcd.io', '-n', FLUX_NS], 'flux/artifact')).items, missing)
    : {}
  for (const env of missing) {
    const own = running[env]?.digest
    update(own ? `recreating the tag ${env} at what ${env} runs` : `starting ${env} at the ${entry} digest`)
    if (own) await moveTag(ctx, port, { env, to: own, action: 'seed' }, 'flux/artifact')
    else if (digest) await moveTag(ctx, port, { env, to: digest, action: 'seed', source: entry }, 'flux/artifact')
    else await fluxTagArtifact(ctx.runner, appsUrl(port, { tag: entry }), [env], 'flux/artifact') // dry-run: the digest of a push that did not happen
    seeded.push(env)
  }
  if (seeded.length) ctx.facts.changed.push(`apps tags ${seeded.join(', ')}`)
  return { ...res, entry, ...(digest ? { digest } : {}), seeded }
}

// ---------- bootstrap ----------

export async function applyBootstrap(ctx: UpContext, update: Update): Promise<{ applied: boolean; roots: string[]; removed: string[]; existingSources: string[] }> {
  const context = kubeContext(ctx)
  const built = parseDocs(await kustomizeBuild(ctx.runner, path.join(ctx.root, 'bootstrap'), 'flux/bootstrap'))
  const objs = renderBootstrap(built, { registryName: ctx.config.registryName, environments: ctx.config.environments })
  const roots = rootKustomizations(objs)
  const kinds = ['kustomizations.kustomize.toolkit.fluxcd.io', 'ocirepositories.source.toolkit.fluxcd.io'] as const
  const live = await Promise.all(kinds.map((kind) => kubectlList(ctx.runner, context, [kind, '-n', FLUX_NS], 'flux/bootstrap')))
  update('comparing bootstrap/ with the cluster')
  const applied = await applyIfChanged(ctx, stringifyDocs(objs), 'flux/bootstrap')
  if (applied) ctx.facts.changed.push('flux bootstrap')
  const removed: string[] = []
  // an environment left out of ENVIRONMENTS: its Kustomization (Flux prunes the app) and its apps source
  for (const [i, kind] of kinds.entries()) {
    for (const name of unwantedAppKustomizations(live[i]!.items.map((o) => o.metadata.name), ctx.config.environments)) {
      await kubectlDelete(ctx.runner, context, kind, name, FLUX_NS, 'flux/bootstrap')
      ctx.facts.changed.push(`removed ${kind.split('.')[0]!.replace(/s$/, '')} ${name}`)
      if (!removed.includes(name)) removed.push(name)
    }
  }
  return { applied, roots, removed, existingSources: live[1]!.items.map((o) => o.metadata.name) }
}

/**
 * The OCIRepositories to ask for a fetch now instead of within their 1m interval: `platform` when Flux, the
 * bootstrap or its artifact changed; apps-<env> for every environment whose tag this run moved, if that source
 * existed before this run (a source the bootstrap just created fetches on its own). Pure.
 */
export function sourcesToFetch(o: { installed: boolean; bootstrapApplied: boolean; platformPushed: boolean; apps: Pick<AppsArtifactResult, 'pushed' | 'entry' | 'seeded'>; existingSources: readonly string[] }): string[] {
  const out: string[] = []
  if (o.installed || o.bootstrapApplied || o.platformPushed) out.push(OCI_SOURCE)
  const moved = [...(o.apps.pushed && o.apps.entry ? [o.apps.entry] : []), ...o.apps.seeded]
  out.push(...moved.map(appsSource).filter((name) => o.existingSources.includes(name)))
  return out
}

export async function fetchSources(ctx: UpContext, names: string[], update: Update, step = 'flux/reconcile'): Promise<void> {
  for (const name of names) {
    update(`asking source-controller to fetch ${name} now`)
    await fluxReconcile(ctx.runner, kubeContext(ctx), ['source', 'oci'], name, FLUX_NS, ctx.config.reconcileTimeoutMs, {}, step)
  }
}

export function appsNote(apps: AppsArtifactResult, dryRun = false): string {
  const moved = apps.pushed ? (dryRun ? `would push apps to ${apps.entry}` : `apps pushed to ${apps.entry}`) : 'apps unchanged'
  const tags = `tag${apps.seeded.length === 1 ? '' : 's'} ${apps.seeded.join(', ')}`
  return apps.seeded.length ? `${moved}; ${dryRun ? `would create ${tags}` : `${tags} created`}` : moved
}

async function runOci(ctx: UpContext, update: Update): Promise<string> {
  const notes: string[] = []
  const installed = await ensureFluxInstalled(ctx, update)
  if (installed) notes.push(installed)
  const art = await syncArtifact(ctx, update)
  notes.push(art.pushed ? did(ctx, `pushed ${art.revision}`, `would push ${art.revision}`) : 'artifact unchanged')
  const apps = await syncAppsArtifact(ctx, update)
  notes.push(appsNote(apps, ctx.dryRun))
  const boot = await applyBootstrap(ctx, update)
  if (boot.applied) notes.push(did(ctx, 'bootstrap applied', 'would apply the bootstrap'))
  if (boot.removed.length) notes.push(`${did(ctx, 'removed', 'would remove')} ${boot.removed.join(', ')}`)
  await fetchSources(ctx, sourcesToFetch({ installed: Boolean(installed), bootstrapApplied: boot.applied, platformPushed: art.pushed, apps, existingSources: boot.existingSources }), update)
  ctx.facts.flux = { mode: 'oci', roots: boot.roots.map((n) => objectId('Kustomization', FLUX_NS, n)), pushed: art.pushed || apps.pushed, revision: art.revision }
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
    const ssh = isSshUrl(git.url)
    const github = /github\.com[/:]/.test(git.url)
    // over ssh flux reads GIT_PASSWORD as the key's passphrase (sourcesecret.LoadKeyPair: a password given for a
    // key without one fails "ssh: key is not password protected"), so a token must never go there
    const password = ssh ? c.fluxGitSshKeyPassphrase : (github ? c.githubToken || c.gitPassword : c.gitPassword || c.githubToken) || git.password
    await fluxBootstrapGit(ctx.runner, context, {
      url: git.url, branch: c.fluxGitBranch, path: c.fluxGitPath, version: c.fluxVersion,
      components: [...FLUX_COMPONENTS], timeoutMs: c.reconcileTimeoutMs, ...(password ? { password } : {}), ...(git.username ? { username: git.username } : {}),
      ...(ssh ? { privateKeyFile: sshKeyPath(c.fluxGitSshKeyFile, ctx.root) } : {}),
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
  // tls: the CA Secret must be there before Flux applies the ClusterIssuer that reads it
  needs: ['wiring', 'mirror-wiring', 'image', 'addons', 'tls'],
  async run(ctx, step) {
    return { note: await runFlux(ctx, (s) => step?.update(s)) }
  },
}
