// Fake flux: install --export, push/diff/tag/pull/list artifact (a content-addressed fake OCI registry under
// FAKE_STATE_DIR/oci: tags in state.flux.artifacts['<repo>:<tag>'], every pushed manifest by digest in
// state.flux.manifests['<repo>@sha256:<hex>']), reconcile, get all, bootstrap git; output shapes of the real CLI
// (logger lines "► ✔ ✗ ◎ ✚" on stderr; `list artifacts` prints its table on stdout).
// `flux reconcile` and `flux bootstrap` also run the controllers (flux-sim.mjs): sources get artifacts,
// Kustomizations apply their path (real kustomize builds) in dependency order, health-check what they applied
// (HelmReleases listed in state.kube.stuck never become Ready) and report Ready like kustomize-controller.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { kube, objectsOf, upsert } from './kubectl/store.mjs'
import { runControllers } from './flux-sim.mjs'

const err = (stderr, code = 1) => ({ code, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` })
const ok = (stdout = '', stderr = '') => ({ code: 0, stdout, stderr })

function parse(argv) {
  const out = { positional: [], flags: {} }
  const valued = new Set(['--context', '--namespace', '-n', '--timeout', '--path', '--source', '--revision', '--version', '-v', '--components', '--url', '--branch', '--username', '-u', '--password', '-p', '--output', '-o', '--kubeconfig', '--tag', '--private-key-file'])
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a.startsWith('--') && a.includes('=')) { const [k, v] = a.split(/=(.*)/s); out.flags[k] = v }
    else if (valued.has(a)) out.flags[a] = argv[++i]
    else if (a.startsWith('-')) out.flags[a] = true
    else out.positional.push(a)
  }
  out.namespace = out.flags['--namespace'] ?? out.flags['-n'] ?? 'flux-system'
  return out
}

function context(state, p) {
  const k = kube(state)
  const name = p.flags['--context'] ?? k.currentContext
  const ctx = k.contexts[name]
  if (!name || !ctx) return { error: err(`✗ context "${name ?? ''}" does not exist`) }
  if (ctx.reachable === false) return { error: err(`✗ Get "https://${ctx.server ?? '127.0.0.1:6443'}/api?timeout=32s": dial tcp: connect: connection refused`) }
  return { name }
}

// ---- install ----

const CONTROLLER_IMAGES = { 'source-controller': 'v1.7.2', 'kustomize-controller': 'v1.7.1', 'helm-controller': 'v1.4.2', 'notification-controller': 'v1.7.3' }
const CRDS = {
  'source-controller': ['gitrepositories', 'ocirepositories', 'helmrepositories', 'helmcharts', 'buckets'],
  'kustomize-controller': ['kustomizations'],
  'helm-controller': ['helmreleases'],
  'notification-controller': ['alerts', 'providers', 'receivers'],
}
const GROUPS = { 'source-controller': 'source.toolkit.fluxcd.io', 'kustomize-controller': 'kustomize.toolkit.fluxcd.io', 'helm-controller': 'helm.toolkit.fluxcd.io', 'notification-controller': 'notification.toolkit.fluxcd.io' }

export function installManifests(version, components) {
  const labels = { 'app.kubernetes.io/instance': 'flux-system', 'app.kubernetes.io/part-of': 'flux', 'app.kubernetes.io/version': version }
  const docs = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flux-system', labels: { ...labels, 'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/warn-version': 'latest' } } }]
  for (const c of components) {
    for (const plural of CRDS[c] ?? []) {
      docs.push({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.${GROUPS[c]}`, labels: { ...labels, 'app.kubernetes.io/component': c } }, spec: { group: GROUPS[c] } })
    }
    docs.push({
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: c, namespace: 'flux-system', labels: { ...labels, 'app.kubernetes.io/component': c, 'control-plane': 'controller' } },
      spec: { replicas: 1, selector: { matchLabels: { app: c } }, template: { metadata: { labels: { app: c } }, spec: { containers: [{ name: 'manager', image: `ghcr.io/fluxcd/${c}:${CONTROLLER_IMAGES[c] ?? 'v1.0.0'}`, args: ['--watch-all-namespaces=true', '--log-level=info', '--log-encoding=json', '--enable-leader-election'] }] } } },
      // The fake API server has no deployment controller: the status a real one would report comes with the object.
      status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] },
    })
  }
  return docs
}

function toYaml(docs) {
  // JSON is valid YAML; one document per object like `flux install --export`
  return docs.map((d) => `---\n${JSON.stringify(d, null, 2)}\n`).join('')
}

function install(state, p) {
  const version = p.flags['--version'] ?? p.flags['-v'] ?? state.flux.version
  const components = String(p.flags['--components'] ?? 'source-controller,kustomize-controller,helm-controller,notification-controller').split(',')
  if (p.flags['--export']) return ok(toYaml(installManifests(version, components)))
  const c = context(state, p)
  if (c.error) return c.error
  for (const d of installManifests(version, components)) upsert(state, c.name, d)
  return ok('', `✚ generating manifests\n✔ manifests build completed\n► installing components in flux-system namespace\n◎ verifying installation\n${components.map((x) => `✔ ${x}: deployment ready\n`).join('')}✔ install finished\n`)
}

// ---- OCI artifacts ----

function ociDir(dir) {
  const d = path.join(dir, 'oci')
  fs.mkdirSync(d, { recursive: true })
  return d
}

/** content digest of a directory as flux would tar it: paths + contents, no mtimes */
export function treeDigest(root) {
  const h = crypto.createHash('sha256')
  const walk = (rel) => {
    const abs = path.join(root, rel)
    const st = fs.statSync(abs)
    if (st.isDirectory()) {
      h.update(`d:${rel}:${(st.mode & 0o777).toString(8)}\0`)
      for (const n of fs.readdirSync(abs).sort()) walk(rel ? `${rel}/${n}` : n)
    } else if (st.isFile()) {
      h.update(`f:${rel}:${(st.mode & 0o777).toString(8)}\0`)
      h.update(fs.readFileSync(abs))
    }
  }
  walk('')
  return h.digest('hex')
}

/** "oci://localhost:5001/platform:local" -> { host, repo, tag, key }; "oci://h/apps@sha256:<hex>" -> { ..., digest } */
export function parseOci(url) {
  const d = /^oci:\/\/([^/]+)\/(.+?)@sha256:([0-9a-f]{64})$/.exec(url ?? '')
  if (d) return { host: d[1], repo: d[2], digest: d[3], ref: `sha256:${d[3]}` }
  const m = /^oci:\/\/([^/]+)\/(.+?)(?::([\w][\w.-]*))?$/.exec(url ?? '')
  if (!m) return undefined
  return { host: m[1], repo: m[2], tag: m[3] ?? 'latest', ref: m[3] ?? 'latest', key: `${m[2]}:${m[3] ?? 'latest'}` }
}

/** Every manifest pushed to the fake registry, by digest (a moved tag leaves the old digest pullable, like a registry). */
function manifests(state) {
  state.flux.manifests ??= {}
  // state written before the digest index existed: the tagged artifacts are the manifests
  for (const [key, a] of Object.entries(state.flux.artifacts ?? {})) {
    const repo = key.slice(0, key.lastIndexOf(':'))
    state.flux.manifests[`${repo}@sha256:${a.digest}`] ??= { ...a }
  }
  return state.flux.manifests
}

/** The stored artifact a parsed reference points at (tag or digest), or undefined. */
export function resolveArtifact(state, o) {
  if (o.digest) return manifests(state)[`${o.repo}@sha256:${o.digest}`]
  return state.flux.artifacts?.[o.key]
}

const manifestUnknown = (o) => `GET http://${o.host}/v2/${o.repo}/manifests/${o.ref}: MANIFEST_UNKNOWN: manifest unknown; map[${o.digest ? 'Digest' : 'Tag'}:${o.ref}]`

function registryUp(state, host) {
  const port = host.split(':')[1]
  if (!port) return true
  const containers = Object.values(state.docker?.containers ?? {})
  if (!containers.length) return true
  return containers.some((c) => c.State?.Running && (c.HostConfig?.PortBindings?.['5000/tcp'] ?? []).some((b) => String(b.HostPort) === String(port)))
}

function push(state, p, dir) {
  const url = p.positional[2]
  const o = parseOci(url)
  if (!o) return err(`✗ invalid URL: ${url}`)
  if (!p.flags['--source']) return err('✗ --source is required')
  if (!p.flags['--revision']) return err('✗ --revision is required')
  const src = p.flags['--path']
  if (!src || !fs.existsSync(src)) return err(`✗ invalid path '${src}', must point to an existing directory or file`)
  if (!registryUp(state, o.host)) return err(`✗ pushing artifact failed: Get "http://${o.host}/v2/": dial tcp ${o.host.replace('localhost', '127.0.0.1')}: connect: connection refused`)
  const digest = treeDigest(src)
  const store = path.join(ociDir(dir), digest)
  if (!fs.existsSync(store)) fs.cpSync(src, store, { recursive: true })
  if (o.digest) return err(`✗ invalid URL: ${url}: push needs a tag`)
  state.flux.artifacts ??= {}
  state.flux.artifacts[o.key] = { digest, revision: p.flags['--revision'], source: p.flags['--source'], dir: store, pushedTo: o.host }
  manifests(state)[`${o.repo}@sha256:${digest}`] = { ...state.flux.artifacts[o.key] }
  return ok('', `► pushing artifact to ${o.host}/${o.key}\n✔ artifact successfully pushed to ${o.host}/${o.repo}@sha256:${digest}\n`)
}

function diff(state, p) {
  const url = p.positional[2]
  const o = parseOci(url)
  if (!o) return err(`✗ invalid URL: ${url}`)
  const src = p.flags['--path']
  if (!src || !fs.existsSync(src)) return err(`✗ invalid path '${src}', must point to an existing directory or file`)
  if (!registryUp(state, o.host)) return err(`✗ Get "http://${o.host}/v2/": dial tcp ${o.host.replace('localhost', '127.0.0.1')}: connect: connection refused`)
  const a = resolveArtifact(state, o)
  if (!a) return err(`✗ ${manifestUnknown(o)}`)
  if (a.digest !== treeDigest(src)) return err('✗ the remote artifact contents differs from the local one')
  return ok('', '✔ no changes detected\n')
}

/** `flux tag artifact <url> --tag <t> [--tag <t2> | --tag t2,t3]` (cmd/flux/tag_artifact.go): crane.Tag per tag. */
function tag(state, argv, p) {
  const url = p.positional[2]
  if (!url) return err('✗ artifact name is required')
  const tags = []
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--tag') tags.push(...String(argv[++i] ?? '').split(','))
    else if (argv[i].startsWith('--tag=')) tags.push(...argv[i].slice(6).split(','))
  }
  if (!tags.filter(Boolean).length) return err('✗ --tag is required')
  const o = parseOci(url)
  if (!o) return err(`✗ invalid URL: ${url}`)
  if (!registryUp(state, o.host)) return err(`✗ tagging artifact failed: Get "http://${o.host}/v2/": dial tcp ${o.host.replace('localhost', '127.0.0.1')}: connect: connection refused`)
  const a = resolveArtifact(state, o)
  if (!a) return err(`► tagging artifact\n✗ tagging artifact failed: ${manifestUnknown(o)}`)
  const lines = ['► tagging artifact']
  for (const t of tags.filter(Boolean)) {
    state.flux.artifacts ??= {}
    state.flux.artifacts[`${o.repo}:${t}`] = { ...a }
    lines.push(`✔ artifact tagged as ${o.host}/${o.repo}:${t}`)
  }
  return ok('', `${lines.join('\n')}\n`)
}

/** `flux pull artifact <url> --output <dir>` (cmd/flux/pull_artifact.go): extract the content, print its metadata. */
function pull(state, p) {
  const url = p.positional[2]
  if (!url) return err('✗ artifact URL is required')
  const out = p.flags['--output'] ?? p.flags['-o']
  if (!out) return err('✗ output path cannot be empty')
  if (!fs.existsSync(out) || !fs.statSync(out).isDirectory()) return err(`✗ invalid output path "${out}": stat ${out}: no such file or directory`)
  const o = parseOci(url)
  if (!o) return err(`✗ invalid URL: ${url}`)
  const at = `${o.host}/${o.repo}${o.digest ? `@sha256:${o.digest}` : `:${o.tag}`}`
  if (!registryUp(state, o.host)) return err(`► pulling artifact from ${at}\n✗ Get "http://${o.host}/v2/": dial tcp ${o.host.replace('localhost', '127.0.0.1')}: connect: connection refused`)
  const a = resolveArtifact(state, o)
  if (!a) return err(`► pulling artifact from ${at}\n✗ ${manifestUnknown(o)}`)
  fs.cpSync(a.dir, out, { recursive: true })
  return ok('', [
    `► pulling artifact from ${at}`,
    ...(a.source ? [`✔ source ${a.source}`] : []),
    ...(a.revision ? [`✔ revision ${a.revision}`] : []),
    `✔ digest ${o.host}/${o.repo}@sha256:${a.digest}`,
    `✔ artifact content extracted to ${out}`,
  ].join('\n') + '\n')
}

/** `flux list artifacts <repo-url>` (cmd/flux/list_artifact.go): tags sorted descending, one table row each
 * (tablewriter without borders, tab padding, upper-case headers). A repository never pushed is NAME_UNKNOWN. */
function list(state, p) {
  const url = p.positional[2]
  if (!url) return err('✗ artifact repository URL is required')
  const o = parseOci(url)
  if (!o || o.digest || /:[\w][\w.-]*$/.test(url.replace(/^oci:\/\/[^/]+/, ''))) return err(`✗ invalid URL: ${url}`)
  if (!registryUp(state, o.host)) return err(`✗ listing tags failed: Get "http://${o.host}/v2/": dial tcp ${o.host.replace('localhost', '127.0.0.1')}: connect: connection refused`)
  const tags = Object.keys(state.flux.artifacts ?? {}).filter((k) => k.slice(0, k.lastIndexOf(':')) === o.repo).map((k) => k.slice(k.lastIndexOf(':') + 1))
  if (!tags.length) return err(`✗ listing tags failed: GET http://${o.host}/v2/${o.repo}/tags/list?n=1000: NAME_UNKNOWN: repository name not known to registry; map[name:${o.repo}]`)
  tags.sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))
  const rows = [['ARTIFACT', 'DIGEST', 'SOURCE', 'REVISION'], ...tags.map((t) => {
    const a = state.flux.artifacts[`${o.repo}:${t}`]
    return [`${o.host}/${o.repo}:${t}`, `sha256:${a.digest}`, a.source ?? '', a.revision ?? '']
  })]
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return ok(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('\t')).join('\n') + '\n')
}

// ---- reconcile / get ----

const SOURCE_KINDS = { oci: 'OCIRepository', git: 'GitRepository', helm: 'HelmRepository', chart: 'HelmChart', bucket: 'Bucket' }

function reconcile(state, p, dir) {
  const c = context(state, p)
  if (c.error) return c.error
  const [, what, sub, name3] = p.positional
  let kind
  let name
  if (what === 'source') { kind = SOURCE_KINDS[sub]; name = name3 }
  else if (what === 'kustomization' || what === 'ks') { kind = 'Kustomization'; name = sub }
  else if (what === 'helmrelease' || what === 'hr') { kind = 'HelmRelease'; name = sub }
  if (!kind || !name) return err(`✗ unknown reconcile target: ${p.positional.slice(1).join(' ')}`)
  const obj = objectsOf(state, c.name).find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === p.namespace)
  if (!obj) return err(`✗ ${kind}.${kind === 'Kustomization' ? 'kustomize' : kind === 'HelmRelease' ? 'helm' : 'source'}.toolkit.fluxcd.io "${name}" not found`)
  runControllers(state, c.name, dir)
  const after = objectsOf(state, c.name).find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === p.namespace)
  const ready = (after.status?.conditions ?? []).find((x) => x.type === 'Ready')
  const lines = [`► annotating ${kind} ${name} in ${p.namespace} namespace`, `✔ ${kind} annotated`, `◎ waiting for ${kind} reconciliation`]
  if (ready?.status !== 'True') return err(`${lines.join('\n')}\n✗ ${ready?.message ?? 'reconciliation failed'}`)
  const rev = after.status?.artifact?.revision ?? after.status?.lastAppliedRevision
  lines.push(kind === 'Kustomization' || kind === 'HelmRelease' ? `✔ applied revision ${rev}` : `✔ fetched revision ${rev}`)
  return ok('', `${lines.join('\n')}\n`)
}

function getAll(state, p) {
  const c = context(state, p)
  if (c.error) return c.error
  const all = p.flags['--all-namespaces'] || p.flags['-A']
  const objs = objectsOf(state, c.name).filter((o) => ['OCIRepository', 'GitRepository', 'HelmRepository', 'HelmChart', 'Kustomization', 'HelmRelease'].includes(o.kind) && (all || o.metadata.namespace === p.namespace))
  const order = ['GitRepository', 'OCIRepository', 'HelmRepository', 'HelmChart', 'Kustomization', 'HelmRelease']
  const blocks = []
  for (const kind of order) {
    const rows = objs.filter((o) => o.kind === kind)
    if (!rows.length) continue
    const ready = (o) => (o.status?.conditions ?? []).find((x) => x.type === 'Ready')
    const lines = [`${all ? 'NAMESPACE  \t' : ''}NAME${' '.repeat(20)}\tREVISION\tSUSPENDED\tREADY\tMESSAGE`]
    for (const o of rows) {
      const rev = o.status?.artifact?.revision ?? o.status?.lastAppliedRevision ?? ''
      lines.push(`${all ? `${o.metadata.namespace}\t` : ''}${kind.toLowerCase()}/${o.metadata.name}\t${rev}\t${o.spec?.suspend ? 'True' : 'False'}\t${ready(o)?.status ?? 'Unknown'}\t${ready(o)?.message ?? ''}`)
    }
    blocks.push(lines.join('\n'))
  }
  if (!blocks.length) return ok('', `✗ no Flux objects found in ${all ? 'any' : p.namespace} namespace\n`)
  return ok(`${blocks.join('\n\n')}\n`)
}

// ---- bootstrap git ----

// flux2 cmd/flux/bootstrap_git.go: over ssh:// without --private-key-file, transportForURL returns no auth (the
// CLI's own clone/push use the local SSH agent) while sourcesecret generates a NEW key pair for the cluster
// (ecdsa p384 by default) and promptPublicKey only prints it ("✔ public key: ..."); with --silent nobody is
// asked to add it to the repository. source-controller then cannot clone, and bootstrap fails the GitRepository
// health check when --timeout runs out (pkg/bootstrap/bootstrap_plain_git.go ReportGitRepoHealth:
// "gitrepository '%s' not ready: '%s'" from the Ready condition, returned as "error while waiting for
// GitRepository to be ready: '%s'"; bootstrap.go Run: "bootstrap failed with %d health check failure(s): %w").
// The fake answers at once instead of after the timeout (tests never wait on time).
const GENERATED_KEY = 'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake'

// what `flux bootstrap git` prints from applying the source secret up to waiting for the GitRepository
const SYNC_APPLIED = [
  '► applying source secret "flux-system/flux-system"',
  '✔ reconciled source secret',
  '► generating sync manifests',
  '✔ generated sync manifests',
  '✔ sync manifests are up to date',
  '► applying sync manifests',
  '✔ reconciled sync configuration',
  '◎ waiting for GitRepository "flux-system/flux-system" to be reconciled',
]

function bootstrapGit(state, p, env, dir) {
  const c = context(state, p)
  if (c.error) return c.error
  const url = p.flags['--url']
  if (!url) return err('✗ --url is required')
  const tokenAuth = Boolean(p.flags['--token-auth'])
  const password = p.flags['--password'] ?? p.flags['-p'] ?? env.GIT_PASSWORD
  if (tokenAuth && !password) return err('✗ could not read token: Please enter your Git repository password: EOF')
  const ssh = !tokenAuth && /^ssh:\/\//.test(url)
  const keyFile = p.flags['--private-key-file']
  // transportForURL: ssh.NewPublicKeysFromFile reads the key before anything else happens
  if (ssh && keyFile && !fs.existsSync(keyFile)) return err(`✗ open ${keyFile}: no such file or directory`)
  if (!p.flags['--silent'] && !tokenAuth) return err('✗ aborting: Please give the key access to your repository: ^D')
  const branch = p.flags['--branch'] ?? 'main'
  const gitPath = String(p.flags['--path'] ?? '.').replace(/^\.\//, '')
  const version = p.flags['--version'] ?? state.flux.version
  const components = String(p.flags['--components'] ?? 'source-controller,kustomize-controller,helm-controller,notification-controller').split(',')
  // what the test may check: how the secret arrived, never its value
  state.flux.bootstrap = { url, branch, path: gitPath, version, tokenAuth, passwordFrom: p.flags['--password'] || p.flags['-p'] ? 'argv' : env.GIT_PASSWORD ? 'env' : 'none', ...(keyFile ? { privateKeyFile: keyFile } : {}) }
  // applied directly, as bootstrap does; the flux-system Kustomization manages them only when the synced
  // path includes flux-system/ (bootstrap/git does not by default)
  for (const d of installManifests(version, components)) upsert(state, c.name, d)
  const syncUrl = tokenAuth ? url.replace(/^http:/, 'https:') : url
  upsert(state, c.name, { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'flux-system', namespace: 'flux-system' }, spec: { url: syncUrl, ref: { branch }, interval: '1m0s', secretRef: { name: 'flux-system' } } })
  upsert(state, c.name, { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'flux-system', namespace: 'flux-system' }, spec: { interval: '10m0s', path: `./${gitPath}`, prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } } })
  const head = [
    `► cloning branch "${branch}" from Git repository "${url}"`,
    '✔ cloned repository',
    '► generating component manifests',
    '✔ generated component manifests',
    '✔ component manifests are up to date',
    '► installing components in "flux-system" namespace',
    '✔ installed components',
    '✔ reconciled components',
    '► determining if source secret "flux-system/flux-system" exists',
    '► generating source secret',
  ]
  if (ssh && !keyFile) {
    // the cluster got a deploy key nobody registered: the source never becomes Ready
    const message = `failed to checkout and determine revision: unable to clone '${url}': ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain`
    const repo = objectsOf(state, c.name).find((o) => o.kind === 'GitRepository' && o.metadata.name === 'flux-system' && o.metadata.namespace === 'flux-system')
    repo.status = { conditions: [{ type: 'Ready', status: 'False', reason: 'GitOperationFailed', message }] }
    const gitErr = `gitrepository 'flux-system/flux-system' not ready: '${message}'`
    const ksErr = "kustomization 'flux-system/flux-system' not ready: 'Source artifact not found, retrying in 30s'"
    return err([
      ...head,
      `✔ public key: ${GENERATED_KEY}`,
      ...SYNC_APPLIED,
      `✗ ${gitErr}`,
      '◎ waiting for Kustomization "flux-system/flux-system" to be reconciled',
      `✗ ${ksErr}`,
      '► confirming components are healthy',
      ...components.map((x) => `✔ ${x}: deployment ready`),
      '✔ all components are healthy',
      `✗ bootstrap failed with 2 health check failure(s): [error while waiting for GitRepository to be ready: '${gitErr}', error while waiting for Kustomization to be ready: '${ksErr}']`,
    ].join('\n'))
  }
  // The fake "remote" is the working tree the scripts run in.
  state.flux.git = { url: syncUrl, branch, root: process.cwd() }
  runControllers(state, c.name, dir)
  return ok('', [
    ...head,
    ...SYNC_APPLIED,
    '✔ GitRepository reconciled successfully',
    '◎ waiting for Kustomization "flux-system/flux-system" to be reconciled',
    '✔ Kustomization reconciled successfully',
    '► confirming components are healthy',
    ...components.map((x) => `✔ ${x}: deployment ready`),
    '✔ all components are healthy',
  ].join('\n') + '\n')
}

// ---- uninstall (down, existing-cluster mode) ----

/** `flux uninstall --silent`: Flux objects (finalizers dropped, so what they applied stays), controllers, CRDs
 * and, unless --keep-namespace, the flux-system namespace with everything in it. Output as flux v2.7 prints it. */
function uninstall(state, p) {
  const c = context(state, p)
  if (c.error) return c.error
  if (!p.flags['--silent'] && !p.flags['-s']) return err('✗ refusing to prompt without a terminal: use --silent')
  const ns = p.namespace
  const list = objectsOf(state, c.name)
  const lines = [`► deleting components in ${ns} namespace`, '► deleting toolkit.fluxcd.io finalizers in all namespaces', '► deleting toolkit.fluxcd.io custom resource definitions']
  for (let i = list.length - 1; i >= 0; i--) {
    const o = list[i]
    const flux = /toolkit\.fluxcd\.io\//.test(o.apiVersion ?? '')
    const inNs = !p.flags['--keep-namespace'] && (o.metadata?.namespace === ns || (o.kind === 'Namespace' && o.metadata?.name === ns))
    if (flux || inNs) list.splice(i, 1)
  }
  if (!p.flags['--keep-namespace']) lines.push(`► deleting namespace ${ns}`)
  lines.push('✔ uninstall finished')
  return ok('', `${lines.join('\n')}\n`)
}

export default async function fluxExt({ argv, state, env }) {
  const dir = env.FAKE_STATE_DIR
  const p = parse(argv)
  const [cmd, sub] = p.positional
  if (cmd === 'install') return install(state, p)
  if (cmd === 'push' && sub === 'artifact') return push(state, p, dir)
  if (cmd === 'diff' && sub === 'artifact') return diff(state, p)
  if (cmd === 'tag' && sub === 'artifact') return tag(state, argv, p)
  if (cmd === 'pull' && sub === 'artifact') return pull(state, p)
  if (cmd === 'list' && (sub === 'artifacts' || sub === 'artifact')) return list(state, p)
  if (cmd === 'reconcile') return reconcile(state, p, dir)
  if (cmd === 'get' && sub === 'all') return getAll(state, p)
  if (cmd === 'bootstrap' && sub === 'git') return bootstrapGit(state, p, env, dir)
  if (cmd === 'uninstall') return uninstall(state, p)
  return undefined
}
