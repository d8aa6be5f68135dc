// Fake helm: releases per kube context in state.helm.releases[context]['<ns>/<name>'], with the real CLI's
// argv, output shapes and messages for list/get values/upgrade --install/status/uninstall.
// A release whose name is listed in state.helm.failing fails its --wait like a chart whose pods never get ready.
import fs from 'node:fs'
import YAML from './yaml.mjs'
import { kube, objectsOf, upsert } from './kubectl/store.mjs'

const err = (stderr, code = 1) => ({ code, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` })
const ok = (stdout = '', stderr = '') => ({ code: 0, stdout, stderr })

function parse(argv) {
  const out = { positional: [], values: [], flags: {} }
  const valued = new Set(['--namespace', '-n', '--kube-context', '--output', '-o', '--version', '--repo', '--timeout', '--values', '-f', '--history-max', '--set'])
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a.includes('=') && a.startsWith('--')) {
      const [k, v] = a.split(/=(.*)/s)
      if (k === '--values') out.values.push(v)
      else out.flags[k] = v
    } else if (valued.has(a)) {
      const v = argv[++i]
      if (a === '--values' || a === '-f') out.values.push(v)
      else out.flags[a] = v
    } else if (a.startsWith('-')) out.flags[a] = true
    else out.positional.push(a)
  }
  out.namespace = out.flags['--namespace'] ?? out.flags['-n'] ?? 'default'
  out.output = out.flags['--output'] ?? out.flags['-o']
  return out
}

function cluster(state, p) {
  const k = kube(state)
  const name = p.flags['--kube-context'] ?? k.currentContext
  const ctx = k.contexts[name]
  if (!name || !ctx) return { error: err(`Error: Kubernetes cluster unreachable: context "${name ?? ''}" does not exist`) }
  if (ctx.reachable === false) return { error: err(`Error: Kubernetes cluster unreachable: Get "https://${ctx.server ?? '127.0.0.1:6443'}/version": dial tcp: connect: connection refused`) }
  state.helm.releases ??= {}
  state.helm.releases[name] ??= {}
  return { name, releases: state.helm.releases[name] }
}

const pub = (r) => ({ name: r.name, namespace: r.namespace, revision: String(r.revision), updated: r.updated, status: r.status, chart: r.chart, app_version: r.app_version })
const stamp = () => `${new Date().toISOString().replace('T', ' ').replace('Z', '')} +0000 UTC`

const isMap = (v) => v && typeof v === 'object' && !Array.isArray(v)
const merge = (a, b) => {
  const out = { ...a }
  for (const [k, v] of Object.entries(b ?? {})) out[k] = isMap(out[k]) && isMap(v) ? merge(out[k], v) : v
  return out
}

function list(state, p) {
  const c = cluster(state, p)
  if (c.error) return c.error
  const all = Object.values(c.releases).filter((r) => (p.flags['--all-namespaces'] || p.flags['-A'] || r.namespace === p.namespace) && (p.flags['--all'] || p.flags['-a'] || ['deployed', 'failed'].includes(r.status)))
  if (p.output === 'json') return ok(`${JSON.stringify(all.map(pub))}\n`)
  const rows = all.map((r) => [r.name, r.namespace, r.revision, r.updated, r.status, r.chart, r.app_version].join('\t'))
  return ok(`NAME\tNAMESPACE\tREVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION\n${rows.join('\n')}${rows.length ? '\n' : ''}`)
}

function getValues(state, p) {
  const c = cluster(state, p)
  if (c.error) return c.error
  const name = p.positional[2]
  const r = c.releases[`${p.namespace}/${name}`]
  if (!r) return err('Error: release: not found')
  if (p.output === 'json') return ok(`${JSON.stringify(Object.keys(r.values ?? {}).length ? r.values : null)}\n`)
  return ok(`USER-SUPPLIED VALUES:\n${YAML.stringify(r.values ?? null)}`)
}

function upgrade(state, p, stdin) {
  const [, name, chartRef] = p.positional
  if (!name || !chartRef) return err('Error: "helm upgrade" requires 2 arguments\n\nUsage:  helm upgrade [RELEASE] [CHART] [flags]')
  const c = cluster(state, p)
  if (c.error) return c.error
  const ns = p.namespace
  const key = `${ns}/${name}`
  const existing = c.releases[key]
  if (!existing && !p.flags['--install']) return err(`Error: UPGRADE FAILED: "${name}" has no deployed releases`)
  const nsExists = ns === 'default' || ns === 'kube-system' || objectsOf(state, c.name).some((o) => o.kind === 'Namespace' && o.metadata.name === ns)
  if (!nsExists) {
    if (!p.flags['--create-namespace']) return err(`Error: INSTALLATION FAILED: create: failed to create: namespaces "${ns}" not found`)
    upsert(state, c.name, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
  }
  let values = {}
  for (const f of p.values) {
    const text = f === '-' ? stdin : fs.readFileSync(f, 'utf8')
    values = merge(values, YAML.parse(text) ?? {})
  }
  const chart = chartRef.replace(/\/+$/, '').split('/').at(-1)
  const version = p.flags['--version'] ?? '0.0.0'
  const failing = (state.helm.failing ?? []).includes(name)
  const atomic = p.flags['--atomic'] || p.flags['--rollback-on-failure']
  if (failing) {
    const what = existing ? 'UPGRADE' : 'INSTALLATION'
    if (!atomic) c.releases[key] = { ...(existing ?? {}), name, namespace: ns, revision: (existing?.revision ?? 0) + 1, updated: stamp(), status: 'failed', chart: `${chart}-${version}`, app_version: '', values }
    return err(`Error: ${what} FAILED: ${atomic ? `release ${name} failed, and has been ${existing ? 'rolled back' : 'uninstalled'} due to rollback-on-failure being set: ` : ''}context deadline exceeded`)
  }
  const revision = (existing?.revision ?? 0) + 1
  c.releases[key] = { name, namespace: ns, revision, updated: stamp(), status: 'deployed', chart: `${chart}-${version}`, app_version: 'v0.0.0', values }
  const head = existing ? `Release "${name}" has been upgraded. Happy Helming!\n` : `Release "${name}" does not exist. Installing it now.\n`
  return ok(`${head}NAME: ${name}\nLAST DEPLOYED: ${new Date().toUTCString()}\nNAMESPACE: ${ns}\nSTATUS: deployed\nREVISION: ${revision}\nTEST SUITE: None\n`)
}

function status(state, p) {
  const c = cluster(state, p)
  if (c.error) return c.error
  const r = c.releases[`${p.namespace}/${p.positional[1]}`]
  if (!r) return err('Error: release: not found')
  if (p.output === 'json') return ok(`${JSON.stringify({ name: r.name, namespace: r.namespace, version: r.revision, info: { status: r.status } })}\n`)
  return ok(`NAME: ${r.name}\nLAST DEPLOYED: ${r.updated}\nNAMESPACE: ${r.namespace}\nSTATUS: ${r.status}\nREVISION: ${r.revision}\n`)
}

function uninstall(state, p) {
  const c = cluster(state, p)
  if (c.error) return c.error
  const out = []
  for (const name of p.positional.slice(1)) {
    const key = `${p.namespace}/${name}`
    if (!c.releases[key]) {
      if (p.flags['--ignore-not-found']) continue
      return err(`Error: uninstall: Release not loaded: ${name}: release: not found`)
    }
    delete c.releases[key]
    out.push(`release "${name}" uninstalled\n`)
  }
  return ok(out.join(''))
}

export default async function helmExt({ argv, state, stdin }) {
  state.helm ??= { version: 'v3.19.0', releases: {} }
  const p = parse(argv)
  const [cmd, sub] = p.positional
  if (cmd === 'list' || cmd === 'ls') return list(state, p)
  if (cmd === 'get' && sub === 'values') return getValues(state, p)
  if (cmd === 'upgrade') return upgrade(state, p, stdin)
  if (cmd === 'status') return status(state, p)
  if (cmd === 'uninstall' || cmd === 'delete') return uninstall(state, p)
  return undefined
}
