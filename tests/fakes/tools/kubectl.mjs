// Fake kubectl: contexts, a generic object store (get/apply/delete/wait/create), kustomize delegated to the
// real kubectl (FAKE_REAL_KUBECTL). Areas add subcommands in tools/kubectl/<name>.mjs and register them in HANDLERS.
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import YAML from './yaml.mjs'
import { parseKubectlArgs } from './kubectl/args.mjs'
import { clientVersion, flagError } from './kubectl/client-version.mjs'
import { kindMatches, kube, matchesSelector, objectsOf, parseDocs, resourceName, singularName, upsert, CLUSTER_SCOPED } from './kubectl/store.mjs'

const HANDLERS = {
  // 'port-forward': () => import('./kubectl/port-forward.mjs'),
}
const extraHandlers = path.join(import.meta.dirname, 'kubectl', 'handlers.mjs')

const err = (stderr, code = 1) => ({ code, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` })
const ok = (stdout = '') => ({ code: 0, stdout })

function real(argv, stdin) {
  const bin = process.env.FAKE_REAL_KUBECTL
  if (!bin) return err('fake kubectl: FAKE_REAL_KUBECTL is not set, cannot delegate', 97)
  const r = spawnSync(bin, argv, { input: stdin, encoding: 'utf8' })
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr }
}

/** resolve the context and check the fake cluster behind it is reachable */
export function target(state, a) {
  const k = kube(state)
  const name = a.context ?? k.currentContext
  if (!name) return { error: err('error: current-context is not set\nerror: no context exists with the name: ""') }
  const ctx = k.contexts[name]
  if (!ctx) return { error: err(`error: context "${name}" does not exist`) }
  if (ctx.reachable === false) return { error: err(`The connection to the server ${ctx.server ?? '127.0.0.1:6443'} was refused - did you specify the right host or port?`) }
  return { name, ctx }
}

function render(objs, a, single) {
  const fmt = a.output ?? ''
  if (fmt === 'json') return JSON.stringify(single ? objs[0] : { apiVersion: 'v1', kind: 'List', items: objs, metadata: { resourceVersion: '' } }, null, 4) + '\n'
  if (fmt === 'yaml') return YAML.stringify(single ? objs[0] : { apiVersion: 'v1', kind: 'List', items: objs })
  if (fmt === 'name') return objs.map((o) => `${singularName(o.kind)}/${o.metadata.name}\n`).join('')
  if (fmt.startsWith('jsonpath=')) {
    const p = fmt.slice('jsonpath='.length).replace(/^\{|\}$/g, '').replace(/^\./, '')
    const get = (o) => p.split('.').reduce((v, k) => (v == null ? v : v[k]), o)
    return objs.map(get).map((v) => (typeof v === 'object' ? JSON.stringify(v) : v ?? '')).join(' ')
  }
  const rows = objs.map((o) => `${o.metadata.name}`)
  return objs.length ? `NAME\n${rows.join('\n')}\n` : ''
}

function get(state, a) {
  const t = target(state, a)
  if (t.error) return t.error
  let [what, name] = a.positional
  if (!what) return err('error: You must specify the type of resource to get.')
  if (what.includes('/')) [what, name] = what.split('/')
  const words = what.split(',')
  const ns = a.namespace ?? 'default'
  const objs = objectsOf(state, t.name).filter((o) => words.some((w) => kindMatches(o.kind, w))
    && (CLUSTER_SCOPED.has(o.kind) || a.allNamespaces || o.metadata.namespace === ns)
    && (!name || o.metadata.name === name)
    && matchesSelector(o.metadata.labels, a.selector))
  if (name && objs.length === 0) {
    if (a.flags['ignore-not-found']) return ok('')
    return err(`Error from server (NotFound): ${resourceName(kindFromWord(what))} "${name}" not found`)
  }
  if (!a.output && objs.length === 0) return { code: 0, stderr: `No resources found in ${ns} namespace.\n` }
  return ok(render(objs, a, Boolean(name)))
}

const KNOWN = ['Namespace', 'Pod', 'Service', 'Deployment', 'ConfigMap', 'Secret', 'NetworkPolicy', 'Kustomization', 'HelmRelease', 'OCIRepository', 'GitRepository', 'HelmRepository', 'HorizontalPodAutoscaler', 'Node', 'ServiceAccount', 'Event']
const kindFromWord = (w) => KNOWN.find((k) => kindMatches(k, w)) ?? w

function readManifests(a, stdin) {
  const texts = []
  for (const f of a.files) {
    if (f === '-') texts.push(stdin)
    else if (fs.statSync(f).isDirectory()) for (const e of fs.readdirSync(f).filter((n) => /\.ya?ml$/.test(n)).sort()) texts.push(fs.readFileSync(path.join(f, e), 'utf8'))
    else texts.push(fs.readFileSync(f, 'utf8'))
  }
  if (a.kustomize) {
    const r = real(['kustomize', '--load-restrictor=LoadRestrictionsNone', a.kustomize])
    if (r.code !== 0) return { error: r }
    texts.push(r.stdout)
  }
  return { objs: texts.flatMap(parseDocs) }
}

function apply(state, a, stdin) {
  const t = target(state, a)
  if (t.error) return t.error
  const m = readManifests(a, stdin)
  if (m.error) return m.error
  const dry = a.flags['dry-run'] && a.flags['dry-run'] !== 'none'
  const lines = []
  for (const o of m.objs) {
    if (o.kind !== 'Namespace' && !CLUSTER_SCOPED.has(o.kind)) {
      const ns = o.metadata?.namespace ?? a.namespace ?? 'default'
      const known = ns === 'default' || objectsOf(state, t.name).some((x) => x.kind === 'Namespace' && x.metadata.name === ns)
      if (!known) return err(`Error from server (NotFound): error when creating "STDIN": namespaces "${ns}" not found`)
    }
    const verb = dry ? 'created (dry run)' : a.flags['server-side'] ? 'serverside-applied' : upsert(state, t.name, o, a.namespace)
    if (a.flags['server-side'] && !dry) upsert(state, t.name, o, a.namespace)
    lines.push(`${singularName(o.kind)}/${o.metadata.name} ${verb}`)
  }
  return ok(lines.map((l) => `${l}\n`).join(''))
}

function del(state, a, stdin) {
  const t = target(state, a)
  if (t.error) return t.error
  const list = objectsOf(state, t.name)
  let targets = []
  if (a.files.length || a.kustomize) {
    const m = readManifests(a, stdin)
    if (m.error) return m.error
    targets = m.objs.map((o) => ({ kind: o.kind, name: o.metadata.name, ns: CLUSTER_SCOPED.has(o.kind) ? undefined : o.metadata.namespace ?? a.namespace ?? 'default' }))
  } else {
    let [what, ...names] = a.positional
    if (what?.includes('/')) { names = [what.split('/')[1]]; what = what.split('/')[0] }
    const kind = kindFromWord(what ?? '')
    if (a.selector || a.flags.all) targets = list.filter((o) => o.kind === kind && matchesSelector(o.metadata.labels, a.selector) && (CLUSTER_SCOPED.has(kind) || o.metadata.namespace === (a.namespace ?? 'default'))).map((o) => ({ kind, name: o.metadata.name, ns: o.metadata.namespace }))
    else targets = names.map((name) => ({ kind, name, ns: CLUSTER_SCOPED.has(kind) ? undefined : a.namespace ?? 'default' }))
  }
  // kubectl delete.go DeleteResult: a list (--all, -l) that matched nothing prints "No resources found" on
  // stdout and exits 0. Named objects are visited without a GET (RequireObject(false)), so a missing one with
  // --ignore-not-found counts as found, fails NotFound, and that error is filtered out: nothing is printed.
  if (!targets.length && (a.selector || a.flags.all)) return ok('No resources found\n')
  const out = []
  for (const tg of targets) {
    const i = list.findIndex((o) => o.kind === tg.kind && o.metadata.name === tg.name && (tg.ns === undefined || o.metadata.namespace === tg.ns))
    if (i === -1) {
      if (a.flags['ignore-not-found']) continue
      return { code: 1, stdout: out.join(''), stderr: `Error from server (NotFound): ${resourceName(tg.kind)} "${tg.name}" not found\n` }
    }
    list.splice(i, 1)
    if (tg.kind === 'Namespace') for (let j = list.length - 1; j >= 0; j--) if (list[j].metadata.namespace === tg.name) list.splice(j, 1)
    out.push(`${singularName(tg.kind)} "${tg.name}" deleted\n`)
  }
  return ok(out.join(''))
}

function wait(state, a) {
  const t = target(state, a)
  if (t.error) return t.error
  const cond = String(a.flags.for ?? '')
  const ns = a.namespace ?? 'default'
  let [what, name] = a.positional
  if (what?.includes('/')) [what, name] = what.split('/')
  const objs = objectsOf(state, t.name).filter((o) => kindMatches(o.kind, what ?? '') && (CLUSTER_SCOPED.has(o.kind) || a.allNamespaces || o.metadata.namespace === ns) && (!name || o.metadata.name === name) && (!a.selector || matchesSelector(o.metadata.labels, a.selector)))
  if (name && !objs.length) return err(`Error from server (NotFound): ${resourceName(kindFromWord(what))} "${name}" not found`)
  if (!objs.length) return err('error: no matching resources found')
  const out = []
  for (const o of objs) {
    let met
    if (cond.startsWith('condition=')) {
      const [type, want = 'True'] = cond.slice('condition='.length).split('=')
      met = (o.status?.conditions ?? []).some((c) => c.type.toLowerCase() === type.toLowerCase() && c.status.toLowerCase() === want.toLowerCase())
    } else if (cond === 'delete') met = false
    else met = true
    // A real kubectl blocks until --timeout; the fake answers at once so tests never depend on time.
    if (!met) return { code: 1, stdout: out.join(''), stderr: `error: timed out waiting for the condition on ${resourceName(o.kind)}/${o.metadata.name}\n` }
    out.push(`${singularName(o.kind)}/${o.metadata.name} condition met\n`)
  }
  return ok(out.join(''))
}

function create(state, a) {
  const [what, name] = a.positional
  const ns = a.namespace ?? 'default'
  let obj
  if (what === 'namespace' || what === 'ns') obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }
  else if (what === 'secret' && a.positional[1] === 'generic') {
    const data = {}
    const argv = a.raw
    for (let i = 0; i < argv.length; i++) {
      const lit = argv[i].startsWith('--from-literal=') ? argv[i].slice(15) : argv[i] === '--from-literal' ? argv[++i] : undefined
      if (lit) { const eq = lit.indexOf('='); data[lit.slice(0, eq)] = Buffer.from(lit.slice(eq + 1)).toString('base64') }
    }
    obj = { apiVersion: 'v1', kind: 'Secret', metadata: { name: a.positional[2], namespace: ns }, type: 'Opaque', data }
  } else return err(`error: fake kubectl does not implement "create ${what}"`, 96)
  if (a.flags['dry-run'] === 'client') return ok(a.output === 'json' ? JSON.stringify(obj) : YAML.stringify(obj))
  const t = target(state, a)
  if (t.error) return t.error
  const exists = objectsOf(state, t.name).some((o) => o.kind === obj.kind && o.metadata.name === obj.metadata.name && o.metadata.namespace === obj.metadata.namespace)
  if (exists) return err(`Error from server (AlreadyExists): ${resourceName(obj.kind)} "${obj.metadata.name}" already exists`)
  upsert(state, t.name, obj, ns)
  return ok(`${singularName(obj.kind)}/${obj.metadata.name} created\n`)
}

function config(state, a) {
  const k = kube(state)
  const [sub, arg] = a.positional
  switch (sub) {
    case 'current-context': return k.currentContext ? ok(`${k.currentContext}\n`) : err('error: current-context is not set')
    case 'get-contexts':
      if (a.output === 'name') return ok(Object.keys(k.contexts).map((c) => `${c}\n`).join(''))
      return ok(`CURRENT   NAME\n${Object.keys(k.contexts).map((c) => `${c === k.currentContext ? '*' : ' '}         ${c}`).join('\n')}\n`)
    case 'use-context':
      if (!k.contexts[arg]) return err(`error: no context exists with the name: "${arg}"`)
      k.currentContext = arg
      return ok(`Switched to context "${arg}".\n`)
    case 'delete-context':
      if (!k.contexts[arg]) return err(`error: cannot delete context ${arg}, not in /root/.kube/config`)
      delete k.contexts[arg]
      if (k.currentContext === arg) k.currentContext = ''
      return ok(`deleted context ${arg} from /root/.kube/config\n`)
    default: return err(`error: fake kubectl does not implement "config ${sub}"`, 96)
  }
}

export default async function kubectl({ argv, state, stdin, env, dir }) {
  const a = parseKubectlArgs(argv)
  a.raw = argv
  const [sub] = a.positional
  a.positional = a.positional.slice(1)
  if (sub === 'kustomize') return real(argv, stdin)
  const badFlag = flagError(state, sub, argv, env)
  if (badFlag) return badFlag
  // the Docker tier: node readiness and API server reachability come from the real node containers
  if (env?.FAKE_DOCKER === 'real' && sub !== 'config') (await import('./kubectl/real-nodes.mjs')).syncWithDocker(state, a.context ?? kube(state).currentContext)
  // the plain fakes: the same, from the fake docker's containers
  else if (sub !== 'config' && state.docker?.containers) (await import('./kubectl/fake-nodes.mjs')).syncWithFakeDocker(state, a.context ?? kube(state).currentContext, kube, objectsOf)
  if (sub === 'version') {
    const client = clientVersion(state)
    if (a.flags.client) return ok(`${JSON.stringify(client, null, 2)}\n`)
    const t = target(state, a)
    if (t.error) return { ...t.error, stdout: `${JSON.stringify(client, null, 2)}\n` }
    return ok(`${JSON.stringify({ ...client, serverVersion: { major: '1', minor: '34', gitVersion: 'v1.34.0' } }, null, 2)}\n`)
  }
  if (sub === 'cluster-info') {
    const t = target(state, a)
    if (t.error) return t.error
    return ok(`Kubernetes control plane is running at https://${t.ctx.server ?? '127.0.0.1:6443'}\n`)
  }
  const builtin = { get, apply, delete: del, wait, create, config }
  if (builtin[sub]) return builtin[sub](state, a, stdin)
  let handlers = HANDLERS
  if (fs.existsSync(extraHandlers)) handlers = { ...HANDLERS, ...(await import(extraHandlers)).default }
  if (handlers[sub]) return (await handlers[sub]()).default({ argv, a, state, stdin, env, dir, target })
  return err(`error: unknown command "${sub}" for "kubectl"`)
}
