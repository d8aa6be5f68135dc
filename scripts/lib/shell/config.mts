// Configuration: process environment > .env > built-in defaults, validated into one typed object.
// Every key is declared once in KEYS (default, doc, parser); .env.example is checked against it by a test.

import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import dotenv from 'dotenv'
import type YAMLModule from 'yaml'
import { EXIT, StepError } from './errors.mts'
import { registerSecret } from './redact.mts'

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
  ingressHttpPort: number
  ingressHttpsPort: number
  portPolicy: PortPolicy
  portSearchSpan: number
  fluxVersion: string
  fluxMode: FluxMode
  fluxGitUrl: string
  fluxGitBranch: string
  fluxGitPath: string
  githubToken: string
  gitPassword: string
  grafanaAdminPassword: string
  environments: Environment[]
  clusterTimeoutMs: number
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
  kubectl: { minimum: string }
}

// yaml is loaded by the commands that read versions.yaml, not by every command's start-up
const require = createRequire(import.meta.url)

export function loadVersions(root = REPO_ROOT): Versions {
  const YAML = require('yaml') as typeof YAMLModule
  return YAML.parse(fs.readFileSync(path.join(root, 'cluster', 'versions.yaml'), 'utf8')) as Versions
}

class Invalid extends Error {}

const oneOf = <T extends string>(...values: T[]) => (raw: string): T => {
  if (!(values as string[]).includes(raw)) throw new Invalid()
  return raw as T
}
const int = (min: number, max: number) => (raw: string): number => {
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
  { key: 'WORKERS', field: 'workers', def: '2', allowed: 'an integer from 1 to 10', parse: int(1, 10),
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
  { key: 'GITHUB_TOKEN', field: 'githubToken', def: '', secret: true, allowed: 'a GitHub token', parse: text,
    doc: 'SECRET. Token for FLUX_MODE=git with a GitHub remote; passed to flux only through the environment, never printed.' },
  { key: 'GIT_PASSWORD', field: 'gitPassword', def: '', secret: true, allowed: 'a password or token', parse: text,
    doc: 'SECRET. Password/token for FLUX_MODE=git with a non-GitHub https remote.' },
  { key: 'GRAFANA_ADMIN_PASSWORD', field: 'grafanaAdminPassword', def: '', secret: true, allowed: 'at least 12 characters, or empty to generate one', parse: (raw) => {
    if (raw !== '' && raw.length < 12) throw new Invalid()
    return raw
  }, doc: 'SECRET. Grafana admin password; empty = generated once by up and stored in .platform/ (git-ignored) and the cluster Secret monitoring/grafana-admin.' },
  { key: 'ENVIRONMENTS', field: 'environments', def: 'dev,staging,production', allowed: 'a comma-separated subset of dev,staging,production', parse: environments,
    doc: 'Which demo app environments to deploy and check.' },
  { key: 'CLUSTER_TIMEOUT', field: 'clusterTimeoutMs', def: '5m', allowed: 'a duration like 90s, 5m, 1h', parse: parseDuration,
    doc: 'How long kind create cluster may wait for the control plane.' },
  { key: 'RECONCILE_TIMEOUT', field: 'reconcileTimeoutMs', def: '10m', allowed: 'a duration like 90s, 5m, 1h', parse: parseDuration,
    doc: 'How long up waits for every Flux Kustomization/HelmRelease to become Ready.' },
  { key: 'HELM_TIMEOUT', field: 'helmTimeoutMs', def: '5m', allowed: 'a duration like 90s, 5m, 1h', parse: parseDuration,
    doc: 'helm upgrade --install --wait timeout per release.' },
  { key: 'STATE_DIR', field: 'stateDir', def: '.platform', allowed: 'a directory path (relative to the repo root)', parse: nonEmpty,
    doc: 'Local state (chosen ports, effective kind config, run reports, diagnostics). Git-ignored.' },
]

export const SECRET_KEYS = KEYS.filter((k) => k.secret).map((k) => k.key)

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  root?: string
  /** path of the .env file; default <root>/.env */
  envFile?: string
}

/** Merge sources with precedence env > .env > defaults; returns raw strings plus where each came from. */
export function resolveRaw(opts: LoadOptions = {}): { raw: Record<string, string>; source: Record<string, 'env' | '.env' | 'default'> } {
  const root = opts.root ?? REPO_ROOT
  const env = opts.env ?? process.env
  // PLATFORM_ENV_FILE lets tests (and people with several setups) point at another file.
  const file = opts.envFile ?? env.PLATFORM_ENV_FILE ?? path.join(root, '.env')
  const fromFile = fs.existsSync(file) ? dotenv.parse(fs.readFileSync(file)) : {}
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
  return { raw, source }
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const { raw, source } = resolveRaw(opts)
  const out: Record<string, unknown> = {}
  for (const k of KEYS) {
    const value = raw[k.key] as string
    if (k.secret) registerSecret(value)
    try {
      out[k.field] = k.parse(value, raw)
    } catch (e) {
      if (!(e instanceof Invalid)) throw e
      const shown = k.secret ? '***' : JSON.stringify(value)
      throw new StepError({
        step: 'config',
        message: `${k.key}=${shown} (from ${source[k.key]}) is invalid: expected ${k.allowed}`,
        hint: `fix ${k.key} in your environment or .env (see .env.example)`,
        exitCode: EXIT.usage,
      })
    }
  }
  const config = out as unknown as Config
  checkCombinations(config)
  if (config.provider === 'kind') config.kubeContext = `kind-${config.clusterName}`
  return config
}

function checkCombinations(c: Config): void {
  const fail = (message: string, hint: string) => {
    throw new StepError({ step: 'config', message, hint, exitCode: EXIT.usage })
  }
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
  const ports = [['REGISTRY_PORT', c.registryPort], ['INGRESS_HTTP_PORT', c.ingressHttpPort], ['INGRESS_HTTPS_PORT', c.ingressHttpsPort]] as const
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i]![1] === ports[j]![1]) fail(`${ports[i]![0]} and ${ports[j]![0]} are both ${ports[i]![1]}`, 'give every host port its own value')
    }
  }
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
