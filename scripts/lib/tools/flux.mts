// flux CLI adapter. Only this file runs `flux`.

import { EXIT, StepError } from '../shell/errors.mts'
import { INSTALL_HINTS, lastLine, versionProbe, withMargin, type Runner, type VersionProbe } from '../shell/run.mts'

/** `flux version --client` prints "flux: v2.7.2"; otherwise why not (missing, hung, failed). */
export async function fluxClientVersion(r: Runner, step = 'flux'): Promise<VersionProbe> {
  const res = await r.run('flux', ['version', '--client'], { step, nothrow: true, timeoutMs: 10_000 })
  return versionProbe(res, /v\d+\.\d+\.\d+\S*/.exec(res.stdout)?.[0], 10_000)
}

// ---- up/flux: install, OCI artifact, reconcile, bootstrap ----

/** `flux install --export`: the install manifests for a version and component set, rendered locally. Read-only. */
export async function fluxInstallExport(r: Runner, version: string, components: string[], step = 'flux'): Promise<string> {
  const res = await r.run('flux', ['install', '--export', `--version=${version}`, `--components=${components.join(',')}`], {
    step, timeoutMs: 120_000, retries: 1,
    hint: `flux downloads the ${version} manifests from GitHub unless the CLI itself is ${version}; install that flux CLI or set FLUX_VERSION to the CLI's version`,
  })
  return res.stdout
}

export interface ArtifactDiff {
  changed: boolean
  /** flux's own words: "no changes detected", "the remote artifact contents differs from the local one", or why it could not compare */
  message: string
}

/** `flux diff artifact <url> --path <dir>`: exit 0 = same content, 1 = differs or not pushed yet. Read-only. */
export async function fluxDiffArtifact(r: Runner, url: string, dir: string, step = 'flux'): Promise<ArtifactDiff> {
  const res = await r.run('flux', ['diff', 'artifact', url, `--path=${dir}`], { step, nothrow: true, timeoutMs: 120_000 })
  const message = (res.stderr.trim() || res.stdout.trim()).split('\n').filter(Boolean).at(-1)?.replace(/^[✔✗►◎✚]\s*/, '') ?? ''
  if (res.exitCode === 127) throw new StepError({ step, message: 'flux is not installed or not on PATH', hint: INSTALL_HINTS.flux, exitCode: EXIT.missingTool })
  return { changed: !res.ok, message }
}

/** `flux push artifact`: tar the directory and push it; returns the digest URL flux prints. Mutating. */
export async function fluxPushArtifact(r: Runner, url: string, dir: string, source: string, revision: string, step = 'flux'): Promise<string> {
  const res = await r.run('flux', ['push', 'artifact', url, `--path=${dir}`, `--source=${source}`, `--revision=${revision}`], {
    step, mutating: true, timeoutMs: 180_000, retries: 2, retryDelayMs: 2000,
    hint: 'is the local registry running? (docker ps --filter name=<REGISTRY_NAME>)',
    dryRunStdout: '',
  })
  const text = `${res.stdout}\n${res.stderr}`
  return /pushed to (\S+)/.exec(text)?.[1] ?? ''
}

/** `flux tag artifact <url> --tag <t>...`: point tags at the artifact `url` names (tag or @digest). Mutating. */
export async function fluxTagArtifact(r: Runner, url: string, tags: string[], step = 'flux'): Promise<void> {
  await r.run('flux', ['tag', 'artifact', url, ...tags.flatMap((t) => ['--tag', t])], {
    step, mutating: true, timeoutMs: 120_000, retries: 2, retryDelayMs: 2000,
    hint: 'is the local registry running? (docker ps --filter name=<REGISTRY_NAME>)',
  })
}

export interface PulledArtifact { digest?: string; revision?: string; source?: string }

/**
 * `flux pull artifact <url> --output <dir>`: extract an artifact into an existing directory. Read-only for the
 * platform (it writes only the local directory), so it runs under --dry-run. Prints what it pulled on stderr:
 * "✔ source ...", "✔ revision ...", "✔ digest <host>/<repo>@sha256:...".
 */
export async function fluxPullArtifact(r: Runner, url: string, outDir: string, step = 'flux'): Promise<PulledArtifact> {
  const res = await r.run('flux', ['pull', 'artifact', url, `--output=${outDir}`], {
    step, timeoutMs: 180_000, retries: 1, retryDelayMs: 2000,
    hint: 'is the local registry running, and does it still hold that digest? (flux list artifacts <repository>)',
  })
  const text = `${res.stdout}\n${res.stderr}`
  const field = (name: string) => new RegExp(`✔ ${name} (\\S+)`).exec(text)?.[1]
  const digest = /@(sha256:[0-9a-f]{64})/.exec(field('digest') ?? '')?.[1]
  const revision = field('revision')
  const source = field('source')
  return { ...(digest ? { digest } : {}), ...(revision ? { revision } : {}), ...(source ? { source } : {}) }
}

export interface ListedArtifact { url: string; tag: string; digest: string; source: string; revision: string }

/** Rows of the table `flux list artifacts` prints (ARTIFACT DIGEST SOURCE REVISION; empty cells allowed). Pure. */
export function parseArtifactList(stdout: string): ListedArtifact[] {
  const out: ListedArtifact[] = []
  for (const line of stdout.split('\n')) {
    const cells = line.split('\t').map((c) => c.trim())
    const [url = '', digest = '', source = '', revision = ''] = cells.length >= 2 ? cells : line.trim().split(/\s+/)
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) continue // the header, blank lines
    const tag = url.slice(url.lastIndexOf(':') + 1)
    out.push({ url, tag, digest, source, revision })
  }
  return out
}

/**
 * `flux list artifacts <repository-url>`: every tag of the repository with its digest. Read-only. A repository
 * nothing was pushed to yet is not an error: the registry answers NAME_UNKNOWN and the list is empty.
 */
export async function fluxListArtifacts(r: Runner, repositoryUrl: string, step = 'flux'): Promise<ListedArtifact[]> {
  const res = await r.run('flux', ['list', 'artifacts', repositoryUrl], { step, nothrow: true, timeoutMs: 60_000, retries: 1 })
  if (res.ok) return parseArtifactList(res.stdout)
  if (/NAME_UNKNOWN/.test(res.stderr)) return []
  if (res.exitCode === 127) throw new StepError({ step, message: 'flux is not installed or not on PATH', hint: INSTALL_HINTS.flux, exitCode: EXIT.missingTool })
  throw new StepError({
    step,
    message: `cannot list the tags of ${repositoryUrl}: ${lastLine(res.stderr || res.stdout).replace(/^✗\s*/, '') || `exit ${res.exitCode}`}`,
    command: `flux list artifacts ${repositoryUrl}`,
    hint: 'is the local registry running? (docker ps --filter name=<REGISTRY_NAME>; npx zx scripts/up.mts starts it)',
    exitCode: EXIT.commandFailed,
  })
}

/** `flux reconcile <kind...> <name>`: ask a controller to reconcile now and wait for it. Mutating (annotates). */
export async function fluxReconcile(r: Runner, context: string, what: string[], name: string, namespace: string, timeoutMs: number, opts: { withSource?: boolean } = {}, step = 'flux'): Promise<string> {
  const res = await r.run('flux', ['reconcile', ...what, name, '--namespace', namespace, '--context', context, `--timeout=${Math.ceil(timeoutMs / 1000)}s`, ...(opts.withSource ? ['--with-source'] : [])], {
    step, mutating: true, timeoutMs: withMargin(timeoutMs),
    hint: `see \`flux get all -A --context ${context}\``,
  })
  return `${res.stdout}${res.stderr}`
}

/** `flux get all -A`: every Flux object with Ready and message, as flux prints it (for status/diagnostics). Read-only. */
export async function fluxGetAll(r: Runner, context: string, step = 'flux'): Promise<{ ok: boolean; text: string }> {
  const res = await r.run('flux', ['get', 'all', '--all-namespaces', '--context', context], { step, nothrow: true, timeoutMs: 60_000 })
  return { ok: res.ok, text: `${res.stdout}${res.stderr}` }
}

export interface FluxBootstrapGit {
  url: string
  branch: string
  path: string
  version: string
  components: string[]
  /** https: the token/password; ssh: the key's passphrase. Goes to the flux process as GIT_PASSWORD, never into argv */
  password?: string
  username?: string
  /** ssh: the deploy key flux pushes with and stores in the cluster (only its path is passed) */
  privateKeyFile?: string
  timeoutMs: number
}

export function fluxBootstrapGitArgs(context: string, o: FluxBootstrapGit): string[] {
  const https = /^https?:\/\//.test(o.url)
  return [
    'bootstrap', 'git', `--url=${o.url}`, `--branch=${o.branch}`, `--path=${o.path}`,
    `--version=${o.version}`, `--components=${o.components.join(',')}`,
    // https + token: basic auth from GIT_PASSWORD; ssh: the deploy key file (passphrase from GIT_PASSWORD). --silent: never prompt.
    ...(https && o.password ? ['--token-auth', `--username=${o.username ?? 'git'}`] : []),
    ...(!https && o.privateKeyFile ? [`--private-key-file=${o.privateKeyFile}`] : []),
    '--silent', '--context', context, `--timeout=${Math.ceil(o.timeoutMs / 1000)}s`,
  ]
}

/** `flux bootstrap git`: commit the Flux manifests to the repository and sync the cluster from it. Mutating. */
export async function fluxBootstrapGit(r: Runner, context: string, o: FluxBootstrapGit, step = 'flux'): Promise<string> {
  const res = await r.run('flux', fluxBootstrapGitArgs(context, o), {
    step, mutating: true, timeoutMs: withMargin(o.timeoutMs),
    // flux reads GIT_PASSWORD when --password is not given (cmd/flux/bootstrap_git.go)
    env: o.password ? { GIT_PASSWORD: o.password } : {},
    hint: o.privateKeyFile
      ? 'check FLUX_GIT_URL/FLUX_GIT_BRANCH and that FLUX_GIT_SSH_KEY_FILE is a deploy key with write access to the repository'
      : 'check FLUX_GIT_URL/FLUX_GIT_BRANCH and that the token (GITHUB_TOKEN or GIT_PASSWORD) may push to the repository',
  })
  return `${res.stdout}${res.stderr}`
}

// ---- down ----

/** `flux uninstall --silent`: controllers, CRDs and the flux-system namespace (never prompts). Mutating. */
export async function fluxUninstall(r: Runner, context: string, timeoutMs: number, step = 'flux'): Promise<void> {
  await r.run('flux', ['uninstall', '--silent', '--context', context, `--timeout=${Math.max(1, Math.ceil(timeoutMs / 1000))}s`], { step, mutating: true, timeoutMs: withMargin(timeoutMs) })
}
