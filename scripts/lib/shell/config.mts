// Configuration: process environment > .env > built-in defaults, validated into one typed object.
// Every key is declared once in KEYS (default, doc, parser); .env.example is checked against it by a test.

import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import dotenv from 'dotenv'
import type YAMLModule from 'yaml'
import { EXIT, StepError } from './errors.mts'
import { registerSecret } from './redact.mts'
import { MIRRORS_ALLOWED, parseMirrors, type Upstream } from '../mirrors/upstreams.mts'

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..')

export type Provider = 'kind' | 'existing'
export type FluxMode = 'oci' | 'git' | 'none'
export type PortPolicy = 'auto' | 'strict'
export type Environment = 'dev' | 'staging' | 'production'
export const ALL_ENVIRONMENTS: readonly Environment[] = ['dev', 'staging', 'production']

export interface Config {
  provider: Provider
  kubeContext: string
  clusterName: string
  workers: number
  nodeImage: string
  kindVersion: string
  registryName: string
  registryImage: string
  registryPort: number
  /** upstreams that get a pull-through cache (empty: REGISTRY_MIRRORS=off) */
  registryMirrors: Upstream[]
  mirrorDockerhubUsername: string
  mirrorDockerhubPassword: string
  ingressHttpPort: number
  ingressHttpsPort: number
  portPolicy: PortPolicy
  portSearchSpan: number
  fluxVersion: string
  fluxMode: FluxMode
  fluxGitUrl: string
  fluxGitBranch: string
  fluxGitPath: string
  fluxGitSshKeyFile: string
  fluxGitSshKeyPassphrase: string
  githubToken: string
  gitPassword: string
  grafanaAdminPassword: string
  environments: Environment[]
  clusterTimeoutMs: number
  healTimeoutMs: number
  reconcileTimeoutMs: number
  helmTimeoutMs: number
  stateDir: string
}

interface KeySpec {
  key: string
  field: keyof Config
  /** default as the string a user would write in .env; '' means empty */
  def: string | ((v: Versions) => string)
  doc: string
  allowed: string
  secret?: boolean
  parse: (raw: string, all: Record<string, string>) => unknown
}

export interface Versions {
  kind: { version: string; minimum: string; nodeImage: string }
  registry: { image: string }
  flux: { version: string; minimum: string }
  helm: { version: string; minimum: string }
  kubectl: { version: string; minimum: string }
}

// yaml is loaded by the commands that read versions.yaml, not by every command's start-up
const require = createRequire(import.meta.url)

export function loadVersions(root = REPO_ROOT): Versions {
  const YAML = require('yaml') as typeof YAMLModule
  return YAML.parse(fs.readFileSync(path.join(root, 'cluster', 'versions.yaml'), 'utf8')) as Versions
}

/** A value a parser rejects; `reason` says why when "expected <allowed>" alone would not. */
class Invalid extends Error {
  readonly reason: string | undefined
  constructor(reason?: string) {
    super(reason ?? 'invalid')
    this.reason = reason
  }
}

const oneOf = <T extends string>(...values: T[]) => (raw: string): T => {
  if (!(values as string[]).includes(raw)) throw new Invalid()
  return raw as T
}
// Leading zeros are refused, not guessed: a shell or YAML would read 010 as octal 8, a person means 10.
const int = (min: number, max: number) => (raw: string): number => {
  if (/^-?0\d+$/.test(raw)) throw new Invalid('no leading zeros: write it without them')
  if (!/^-?\d+$/.test(raw)) throw new Invalid()
  const n = Number(raw)
  if (n < min || n > max) throw new Invalid()
  return n
}
const port = int(1, 65535)
const dns1123 = (max: number) => (raw: string): string => {
  if (raw.length > max || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(raw)) throw new Invalid()
  return raw
}
const text = (raw: string): string => raw
const nonEmpty = (raw: string): string => {
  if (!raw.trim()) throw new Invalid()
  return raw.trim()
}

/** Go-style durations as users know them from kubectl/flux: 90s, 5m, 1h30m. */
export function parseDuration(raw: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(raw.trim())
  if (!raw.trim() || !m || (!m[1] && !m[2] && !m[3])) throw new Invalid()
  const ms = ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000
  if (ms <= 0) throw new Invalid()
  return ms
}

/** Timer-backed durations need a ceiling: setTimeout fires at once beyond 2^31-1 ms (24.8 days). */
export const MAX_DURATION_MS = 24 * 3600_000
const duration = (maxMs = MAX_DURATION_MS) => (raw: string): number => {
  const ms = parseDuration(raw)
  if (ms > maxMs) throw new Invalid(`at most ${maxMs / 3600_000}h`)
  return ms
}
const DURATION_ALLOWED = 'a duration like 90s, 5m, 1h30m, from 1s to 24h'

const environments = (raw: string): Environment[] => {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean)
  if (list.length === 0 || list.some((e) => !(ALL_ENVIRONMENTS as string[]).includes(e))) throw new Invalid()
  return ALL_ENVIRONMENTS.filter((e) => list.includes(e))
}

export const KEYS: readonly KeySpec[] = [
  { key: 'PLATFORM_PROVIDER', field: 'provider', def: 'kind', allowed: 'kind | existing', parse: oneOf('kind', 'existing'),
    doc: 'kind: create a local kind cluster and registry. existing: use the kube context in KUBE_CONTEXT as is (no kind, no registry).' },
  { key: 'KUBE_CONTEXT', field: 'kubeContext', def: '', allowed: 'a context name from your kubeconfig', parse: text,
    doc: 'Kube context to target. Required with PLATFORM_PROVIDER=existing; with kind it is always kind-<CLUSTER_NAME>.' },
  { key: 'CLUSTER_NAME', field: 'clusterName', def: 'platform', allowed: 'lowercase letters, digits and "-", at most 40 characters', parse: dns1123(40),
    doc: 'Name of the kind cluster (its kube context is kind-<name>). down only ever deletes the cluster with exactly this name.' },
  { key: 'WORKERS', field: 'workers', def: '2', allowed: 'an integer from 1 to 10, without leading zeros (010 is rejected, not read as 10 or octal 8)', parse: int(1, 10),
    doc: 'Number of kind worker nodes (plus one control-plane node).' },
  { key: 'KIND_NODE_IMAGE', field: 'nodeImage', def: (v) => v.kind.nodeImage, allowed: 'an image reference, pinned by tag or digest', parse: nonEmpty,
    doc: 'kind node image (Kubernetes version). Default pinned in cluster/versions.yaml.' },
  { key: 'KIND_VERSION', field: 'kindVersion', def: (v) => v.kind.version, allowed: 'a version like v0.30.0', parse: nonEmpty,
    doc: 'kind release the node image was built for (CI installs this one; doctor warns about others).' },
  { key: 'REGISTRY_NAME', field: 'registryName', def: 'kind-registry', allowed: 'lowercase letters, digits and "-"', parse: dns1123(63),
    doc: 'Local registry container name; pods and Flux reach it as <name>:5000.' },
  { key: 'REGISTRY_IMAGE', field: 'registryImage', def: (v) => v.registry.image, allowed: 'an image reference with a pinned tag', parse: nonEmpty,
    doc: 'Registry container image.' },
  { key: 'REGISTRY_PORT', field: 'registryPort', def: '5001', allowed: 'a port from 1 to 65535', parse: port,
    doc: 'Host port of the registry on 127.0.0.1 (not 5000: macOS AirPlay Receiver holds it). Remapped when busy unless PORT_POLICY=strict.' },
  { key: 'REGISTRY_MIRRORS', field: 'registryMirrors', def: 'on', allowed: MIRRORS_ALLOWED, parse: (raw) => {
    const r = parseMirrors(raw)
    if ('error' in r) throw new Invalid(r.error)
    return r.upstreams
  }, doc: 'Pull-through caches of public registries (one registry container in proxy mode each, data on a named volume, kept by down, deleted by down --all); every node pulls through them first. on: docker.io, ghcr.io, quay.io, registry.k8s.io. off: no caches used (existing ones are kept). Or a list, e.g. docker.io,quay.io, where host=URL fetches that host\'s images from another registry (docker.io=https://mirror.gcr.io).' },
  { key: 'REGISTRY_MIRROR_DOCKERHUB_USERNAME', field: 'mirrorDockerhubUsername', def: '', allowed: 'a Docker Hub user name, or empty for anonymous pulls', parse: text,
    doc: 'Docker Hub account the docker.io cache pulls with (higher rate limits); needs REGISTRY_MIRROR_DOCKERHUB_PASSWORD.' },
  { key: 'REGISTRY_MIRROR_DOCKERHUB_PASSWORD', field: 'mirrorDockerhubPassword', def: '', secret: true, allowed: 'a Docker Hub password or access token', parse: text,
    doc: 'SECRET. Password/access token for REGISTRY_MIRROR_DOCKERHUB_USERNAME; reaches the cache container only through its environment (docker inspect shows it to whoever can use Docker), never printed or written to the repository.' },
  { key: 'INGRESS_HTTP_PORT', field: 'ingressHttpPort', def: '8080', allowed: 'a port from 1 to 65535', parse: port,
    doc: 'Host port on 127.0.0.1 mapped to the gateway HTTP port (apps at http://<env>.demo.localhost:<port>).' },
  { key: 'INGRESS_HTTPS_PORT', field: 'ingressHttpsPort', def: '8443', allowed: 'a port from 1 to 65535', parse: port,
    doc: 'Host port on 127.0.0.1 mapped to the gateway HTTPS port.' },
  { key: 'PORT_POLICY', field: 'portPolicy', def: 'auto', allowed: 'auto | strict', parse: oneOf('auto', 'strict'),
    doc: 'auto: a busy host port is replaced by the next free one in [port, port+PORT_SEARCH_SPAN] and remembered. strict: fail before creating anything.' },
  { key: 'PORT_SEARCH_SPAN', field: 'portSearchSpan', def: '100', allowed: 'an integer from 1 to 1000', parse: int(1, 1000),
    doc: 'How many ports above the desired one auto remapping may try.' },
  { key: 'FLUX_VERSION', field: 'fluxVersion', def: (v) => v.flux.version, allowed: 'a Flux version like v2.7.2', parse: nonEmpty,
    doc: 'Flux version installed into the cluster (flux install --version).' },
  { key: 'FLUX_MODE', field: 'fluxMode', def: 'oci', allowed: 'oci | git | none', parse: oneOf('oci', 'git', 'none'),
    doc: 'oci: push this checkout as an OCI artifact to the local registry (no git push). git: flux bootstrap git from FLUX_GIT_URL. none: Helm and kubectl only.' },
  { key: 'FLUX_GIT_URL', field: 'fluxGitUrl', def: '', allowed: 'an https:// or ssh:// git URL', parse: text,
    doc: 'Remote repository for FLUX_MODE=git.' },
  { key: 'FLUX_GIT_BRANCH', field: 'fluxGitBranch', def: 'main', allowed: 'a branch name', parse: nonEmpty,
    doc: 'Branch for FLUX_MODE=git.' },
  { key: 'FLUX_GIT_PATH', field: 'fluxGitPath', def: 'bootstrap/git', allowed: 'a path inside the repository', parse: nonEmpty,
    doc: 'Path Flux syncs in FLUX_MODE=git (bootstrap/git: the root Kustomizations reading from the GitRepository; see bootstrap/README.md).' },
  { key: 'FLUX_GIT_SSH_KEY_FILE', field: 'fluxGitSshKeyFile', def: '', allowed: 'a path to an SSH private key file (relative to the repo root, or ~/...)', parse: text,
    doc: 'Required for an ssh:// FLUX_GIT_URL: the private key of a deploy key with write access to that repository. flux bootstrap pushes with it and gives it to the cluster (Secret flux-system/flux-system); without it the cluster would get a new key nobody registered. Only the path is ever passed or printed.' },
  { key: 'FLUX_GIT_SSH_KEY_PASSPHRASE', field: 'fluxGitSshKeyPassphrase', def: '', secret: true, allowed: 'the passphrase of FLUX_GIT_SSH_KEY_FILE, or empty for a key without one', parse: text,
    doc: 'SECRET. Passphrase of FLUX_GIT_SSH_KEY_FILE; passed to flux only through the environment (GIT_PASSWORD), never printed.' },
  { key: 'GITHUB_TOKEN', field: 'githubToken', def: '', secret: true, allowed: 'a GitHub token', parse: text,
    doc: 'SECRET. Token for FLUX_MODE=git with a GitHub https:// remote (ssh:// uses FLUX_GIT_SSH_KEY_FILE); passed to flux only through the environment, never printed.' },
  { key: 'GIT_PASSWORD', field: 'gitPassword', def: '', secret: true, allowed: 'a password or token', parse: text,
    doc: 'SECRET. Password/token for FLUX_MODE=git with a non-GitHub https remote.' },
  { key: 'GRAFANA_ADMIN_PASSWORD', field: 'grafanaAdminPassword', def: '', secret: true, allowed: 'at least 12 characters, or empty to generate one', parse: (raw) => {
    if (raw !== '' && raw.length < 12) throw new Invalid()
    return raw
  }, doc: 'SECRET. Grafana admin password; empty = generated once by up and stored in .platform/ (git-ignored) and the cluster Secret monitoring/grafana-admin.' },
  { key: 'ENVIRONMENTS', field: 'environments', def: 'dev,staging,production', allowed: 'a comma-separated subset of dev,staging,production', parse: environments,
    doc: 'Which demo app environments to deploy and check.' },
  { key: 'CLUSTER_TIMEOUT', field: 'clusterTimeoutMs', def: '10m', allowed: DURATION_ALLOWED, parse: duration(),
    doc: 'How long kind create cluster may take in all (node image pull included; also its --wait). Like every timeout here, the command gets a tenth more (1s to 30s) to report it itself, then is killed.' },
  { key: 'HEAL_TIMEOUT', field: 'healTimeoutMs', def: '3m', allowed: DURATION_ALLOWED, parse: duration(),
    doc: 'How long up waits, after starting stopped node containers of an existing cluster (after a reboot or a Docker restart), for the API server and every node to be Ready. A node not back by then is named with its container state and last log lines; up never re-creates the cluster on its own (--recreate does, asking).' },
  { key: 'RECONCILE_TIMEOUT', field: 'reconcileTimeoutMs', def: '10m', allowed: DURATION_ALLOWED, parse: duration(),
    doc: 'How long up waits for every Flux Kustomization/HelmRelease to become Ready.' },
  { key: 'HELM_TIMEOUT', field: 'helmTimeoutMs', def: '10m', allowed: DURATION_ALLOWED, parse: duration(),
    doc: 'How long one helm upgrade --install --wait (or uninstall) may take (the default covers the longest spec.timeout in infrastructure/, kube-prometheus-stack: 10m).' },
  { key: 'STATE_DIR', field: 'stateDir', def: '.platform', allowed: 'a directory path (relative to the repo root) of its own: not the repo, its own directories or tracked files, / or $HOME', parse: nonEmpty,
    doc: 'Local state (chosen ports, effective kind config, run reports, diagnostics, the run lock). Git-ignored. down removes only the files the suite recorded writing there (manifest.jsonl).' },
]

export const SECRET_KEYS = KEYS.filter((k) => k.secret).map((k) => k.key)

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  root?: string
  /** path of the .env file; default <root>/.env (a missing file is fine: there is nothing to override) */
  envFile?: string
  /** told about suspicious keys as soon as the file is read, so they show even when a value is invalid */
  onWarning?: (line: string) => void
}

const usageError = (message: string, hint: string) => new StepError({ step: 'config', message, hint, exitCode: EXIT.usage })

/** The KEY=value file to read: PLATFORM_ENV_FILE must name a readable file; the default .env may be absent. */
function readEnvFile(opts: LoadOptions, root: string, env: NodeJS.ProcessEnv): { file: string; label: string; values: Record<string, string> } {
  // PLATFORM_ENV_FILE lets tests (and people with several setups) point at another file; empty means unset.
  const named = opts.envFile === undefined && env.PLATFORM_ENV_FILE ? env.PLATFORM_ENV_FILE : undefined
  const file = opts.envFile ?? named ?? path.join(root, '.env')
  const label = named ? `PLATFORM_ENV_FILE=${named}` : path.relative(root, file) || file
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch {
    if (named) throw usageError(`${label}: no such file`, 'point PLATFORM_ENV_FILE at an existing KEY=value file, or unset it to read .env')
    return { file, label, values: {} }
  }
  if (stat.isDirectory()) throw usageError(`${label} is a directory, not a KEY=value file (${file})`, 'remove or rename that directory; configuration lives in a file (see .env.example)')
  try {
    return { file, label, values: dotenv.parse(fs.readFileSync(file)) }
  } catch (e) {
    throw usageError(`${label} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, `check the permissions of ${file}`)
  }
}

/** Levenshtein distance, for "did you mean" (keys are short: the quadratic table is nothing). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]!
}

/**
 * Keys in the file that are not configuration keys but look like one (a typo within 2 edits, or our prefix such as
 * REGISTRY_ or FLUX_): named with the closest known key. Unrelated keys (PATH, GREETING) are left alone.
 */
export function unknownKeyWarnings(fileKeys: string[], label: string): string[] {
  const known = KEYS.map((k) => k.key)
  const prefixes = new Set(known.map((k) => k.split('_')[0]!))
  const out: string[] = []
  for (const key of fileKeys) {
    if (known.includes(key)) continue
    if (key === 'PLATFORM_ENV_FILE') { out.push(`${label}: PLATFORM_ENV_FILE has no effect inside the file; set it in the environment`); continue }
    const [closest] = known.map((k) => ({ k, d: editDistance(key.toUpperCase(), k) })).sort((x, y) => x.d - y.d)
    if (!closest) continue
    if (closest.d <= 2 || (key.includes('_') && prefixes.has(key.split('_')[0]!.toUpperCase()))) {
      out.push(`${label}: ${key} is not a configuration key and is ignored (did you mean ${closest.k}?)`)
    }
  }
  return out
}

/** Merge sources with precedence env > .env > defaults; returns raw strings plus where each came from. */
export function resolveRaw(opts: LoadOptions = {}): { raw: Record<string, string>; source: Record<string, 'env' | '.env' | 'default'>; warnings: string[] } {
  const root = opts.root ?? REPO_ROOT
  const env = opts.env ?? process.env
  const { label, values: fromFile } = readEnvFile(opts, root, env)
  const versions = loadVersions(root)
  const raw: Record<string, string> = {}
  const source: Record<string, 'env' | '.env' | 'default'> = {}
  for (const k of KEYS) {
    const e = env[k.key]
    if (e !== undefined) { raw[k.key] = e; source[k.key] = 'env'; continue }
    if (fromFile[k.key] !== undefined) { raw[k.key] = fromFile[k.key] as string; source[k.key] = '.env'; continue }
    raw[k.key] = typeof k.def === 'function' ? k.def(versions) : k.def
    source[k.key] = 'default'
  }
  return { raw, source, warnings: unknownKeyWarnings(Object.keys(fromFile), label) }
}

export interface LoadedConfig {
  config: Config
  /** one line each: keys in the file that look like typos of ours */
  warnings: string[]
}

/** Config plus warnings; every invalid key is reported at once (one line each), exit 2. */
export function loadConfigReport(opts: LoadOptions = {}): LoadedConfig {
  const { raw, source, warnings } = resolveRaw(opts)
  for (const w of warnings) opts.onWarning?.(w)
  const out: Record<string, unknown> = {}
  const problems: string[] = []
  for (const k of KEYS) {
    const value = raw[k.key] as string
    if (k.secret) registerSecret(value)
    try {
      out[k.field] = k.parse(value, raw)
    } catch (e) {
      if (!(e instanceof Invalid)) throw e
      const shown = k.secret ? '***' : JSON.stringify(value)
      problems.push(`${k.key}=${shown} (from ${source[k.key]}) is invalid: expected ${k.allowed}${e.reason ? ` (${e.reason})` : ''}`)
    }
  }
  if (problems.length === 0) {
    const config = out as unknown as Config
    problems.push(...combinationProblems(config).map((p) => p.message))
    if (problems.length === 0) {
      if (config.provider === 'kind') config.kubeContext = `kind-${config.clusterName}`
      return { config, warnings }
    }
    if (problems.length === 1) throw usageError(problems[0]!, combinationProblems(config)[0]!.hint)
  }
  const keys = [...new Set(problems.map((p) => /^[A-Z_]+/.exec(p)?.[0]).filter(Boolean))]
  throw usageError(problems.join('\n✖ config: '), `fix ${keys.length === 1 ? keys[0] : 'these keys'} in your environment or .env (see .env.example)`)
}

export function loadConfig(opts: LoadOptions = {}): Config {
  return loadConfigReport(opts).config
}

function combinationProblems(c: Config): { message: string; hint: string }[] {
  const out: { message: string; hint: string }[] = []
  const fail = (message: string, hint: string) => { out.push({ message, hint }) }
  if (c.provider === 'existing' && !c.kubeContext) {
    fail('PLATFORM_PROVIDER=existing needs KUBE_CONTEXT', 'set KUBE_CONTEXT to a context from `kubectl config get-contexts`')
  }
  if (c.provider === 'kind' && c.kubeContext && c.kubeContext !== `kind-${c.clusterName}`) {
    fail(`KUBE_CONTEXT=${c.kubeContext} conflicts with PLATFORM_PROVIDER=kind (context is kind-${c.clusterName})`,
      'unset KUBE_CONTEXT, or set PLATFORM_PROVIDER=existing to target that context')
  }
  if (c.fluxMode === 'git' && !c.fluxGitUrl) {
    fail('FLUX_MODE=git needs FLUX_GIT_URL', 'set FLUX_GIT_URL, or use FLUX_MODE=oci (default) for a local checkout')
  }
  if (Boolean(c.mirrorDockerhubUsername) !== Boolean(c.mirrorDockerhubPassword)) {
    const missing = c.mirrorDockerhubUsername ? 'REGISTRY_MIRROR_DOCKERHUB_PASSWORD' : 'REGISTRY_MIRROR_DOCKERHUB_USERNAME'
    fail(`${missing} is empty but its pair is set: Docker Hub credentials need both`, `set ${missing}, or unset both for anonymous pulls`)
  }
  const ports = [['REGISTRY_PORT', c.registryPort], ['INGRESS_HTTP_PORT', c.ingressHttpPort], ['INGRESS_HTTPS_PORT', c.ingressHttpsPort]] as const
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i]![1] === ports[j]![1]) fail(`${ports[i]![0]} and ${ports[j]![0]} are both ${ports[i]![1]}`, 'give every host port its own value')
    }
  }
  return out
}

/** Render .env.example from KEYS (used by a test to keep the file honest, and to regenerate it). */
export function renderEnvExample(versions: Versions): string {
  const lines = ['# Every configuration key, with its default. Copy to .env (git-ignored) and change what you need.',
    '# Precedence: process environment > .env > these defaults. Keys marked SECRET are never printed.', '']
  for (const k of KEYS) {
    lines.push(`# ${k.doc}`, `# Allowed: ${k.allowed}`)
    const def = typeof k.def === 'function' ? k.def(versions) : k.def
    lines.push(`${k.key}=${def}`, '')
  }
  return lines.join('\n')
}
