// Fake helm: releases per kube context in state.helm.releases[context]['<ns>/<name>'], with the real CLI's
// argv, output shapes and messages for list/get values/upgrade --install/status/uninstall/history/rollback.
// A release record is its latest revision (what `helm list` shows) plus `history` (every revision, oldest
// first, with its values); seeded records without `history` are a single revision.
// A release whose name is listed in state.helm.failing fails its --wait like a chart whose pods never get ready.
// Texts are Helm v3.19's (pkg/action, cmd/helm):
//  - a last revision pending-install|pending-upgrade|pending-rollback blocks upgrade (action.go
//    errPending = "another operation (install/upgrade/rollback) is in progress", upgrade.go prepareUpgrade
//    `if lastRelease.Info.Status.IsPending() { return ..., errPending }`, cmd/helm/upgrade.go
//    `errors.Wrap(err, "UPGRADE FAILED")`);
//  - --atomic: upgrade.go failRelease "release %s failed, and has been rolled back due to atomic being set",
//    install.go "release %s failed, and has been uninstalled due to atomic being set"; `upgrade --install` of a
//    new release returns runInstall's error unwrapped (no "INSTALLATION FAILED", that is `helm install`'s).
import fs from 'node:fs'
import YAML from './yaml.mjs'
import { kube, objectsOf, upsert } from './kubectl/store.mjs'

const err = (stderr, code = 1) => ({ code, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` })
const ok = (stdout = '', stderr = '') => ({ code: 0, stdout, stderr })

function parse(argv) {
  const out = { positional: [], values: [], flags: {} }
  const valued = new Set(['--namespace', '-n', '--kube-context', '--output', '-o', '--version', '--repo', '--timeout', '--values', '-f', '--history-max', '--set', '--max'])
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
/** Go's time.String(), as `helm list` prints `updated` */
const stamp = () => `${new Date().toISOString().replace('T', ' ').replace('Z', '')} +0000 UTC`
/** `helm list`'s "2026-01-01 10:00:00.123 +0000 UTC" as the RFC 3339 that `helm history -o json` prints */
const rfc3339 = (updated) => {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d)/.exec(String(updated ?? ''))
  return m ? `${m[1]}T${m[2]}${m[3] === '+00' && m[4] === '00' ? 'Z' : `${m[3]}:${m[4]}`}` : String(updated ?? '')
}
const PENDING = new Set(['pending-install', 'pending-upgrade', 'pending-rollback'])

/** every revision of a release, oldest first (a seeded record without history is one revision) */
function historyOf(r) {
  r.history ??= [{ revision: r.revision, updated: r.updated, status: r.status, chart: r.chart, app_version: r.app_version, description: r.description ?? '', values: r.values ?? {} }]
  return r.history
}

/** append a revision and make it the release's current record */
function record(releases, key, rev) {
  const prev = releases[key]
  const history = prev ? historyOf(prev) : []
  if (rev.status === 'deployed') for (const h of history) if (h.status === 'deployed' || PENDING.has(h.status)) h.status = 'superseded'
  history.push(rev)
  releases[key] = { name: rev.name, namespace: rev.namespace, revision: rev.revision, updated: rev.updated, status: rev.status, chart: rev.chart, app_version: rev.app_version, values: rev.values, history }
  return releases[key]
}

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
  const v3 = !String(state.helm.version ?? 'v3').startsWith('v4')
  if (v3 && p.flags['--rollback-on-failure']) return err('Error: unknown flag: --rollback-on-failure')
  const c = cluster(state, p)
  if (c.error) return c.error
  const ns = p.namespace
  const key = `${ns}/${name}`
  const existing = c.releases[key]
  if (!existing && !p.flags['--install']) return err(`Error: UPGRADE FAILED: "${name}" has no deployed releases`)
  if (existing && PENDING.has(existing.status)) return err('Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress')
  const installing = !existing
  const head = installing ? `Release "${name}" does not exist. Installing it now.\n` : ''
  const nsExists = ns === 'default' || ns === 'kube-system' || objectsOf(state, c.name).some((o) => o.kind === 'Namespace' && o.metadata.name === ns)
  if (!nsExists) {
    if (!p.flags['--create-namespace']) return { ...err(`Error: create: failed to create: namespaces "${ns}" not found`), stdout: head }
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
  const atomicFlag = p.flags['--rollback-on-failure'] ? 'rollback-on-failure' : p.flags['--atomic'] ? 'atomic' : undefined
  const revision = (existing?.revision ?? 0) + 1
  const rev = { name, namespace: ns, revision, updated: stamp(), chart: `${chart}-${version}`, app_version: 'v0.0.0', values }
  if (failing) {
    if (installing) {
      if (atomicFlag) return { ...err(`Error: release ${name} failed, and has been uninstalled due to ${atomicFlag} being set: context deadline exceeded`), stdout: head }
      record(c.releases, key, { ...rev, status: 'failed', description: `Release "${name}" failed: context deadline exceeded` })
      return { ...err('Error: context deadline exceeded'), stdout: head }
    }
    record(c.releases, key, { ...rev, status: 'failed', description: `Upgrade "${name}" failed: context deadline exceeded` })
    if (!atomicFlag) return err('Error: UPGRADE FAILED: context deadline exceeded')
    const back = [...historyOf(c.releases[key])].reverse().find((h) => h.status === 'deployed' || h.status === 'superseded')
    if (back) record(c.releases, key, { ...back, revision: revision + 1, updated: stamp(), status: 'deployed', description: `Rollback to ${back.revision}` })
    return err(`Error: UPGRADE FAILED: release ${name} failed, and has been rolled back due to ${atomicFlag} being set: context deadline exceeded`)
  }
  record(c.releases, key, { ...rev, status: 'deployed', description: installing ? 'Install complete' : 'Upgrade complete' })
  const title = installing ? head : `Release "${name}" has been upgraded. Happy Helming!\n`
  return ok(`${title}NAME: ${name}\nLAST DEPLOYED: ${new Date().toUTCString()}\nNAMESPACE: ${ns}\nSTATUS: deployed\nREVISION: ${revision}\nTEST SUITE: None\n`)
}

/** `helm history <name> -o json`: cmd/helm/history.go releaseInfo {revision, updated, status, chart, app_version, description} */
function history(state, p) {
  const c = cluster(state, p)
  if (c.error) return c.error
  const r = c.releases[`${p.namespace}/${p.positional[1]}`]
  if (!r) return err('Error: release: not found')
  const max = Number(p.flags['--max'] ?? 256)
  const rows = historyOf(r).slice(-max).map((h) => ({ revision: h.revision, updated: rfc3339(h.updated), status: h.status, chart: h.chart, app_version: h.app_version, description: h.description ?? '' }))
  if (p.output === 'json') return ok(`${JSON.stringify(rows)}\n`)
  return ok(`REVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION\tDESCRIPTION\n${rows.map((h) => [h.revision, h.updated, h.status, h.chart, h.app_version, h.description].join('\t')).join('\n')}\n`)
}

/** `helm rollback <name> [revision]`: rollback.go does not check for a pending release, only that the target exists */
function rollback(state, p) {
  const c = cluster(state, p)
  if (c.error) return c.error
  const [, name, want] = p.positional
  const r = c.releases[`${p.namespace}/${name}`]
  if (!r) return err('Error: release: not found')
  const hist = historyOf(r)
  const target = Number(want ?? r.revision - 1)
  const from = hist.find((h) => h.revision === target)
  if (!from) return err(`Error: release has no ${target} version`)
  record(c.releases, `${p.namespace}/${name}`, { ...from, revision: r.revision + 1, updated: stamp(), status: 'deployed', description: `Rollback to ${target}` })
  return ok('Rollback was a success! Happy Helming!\n')
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
  if (cmd === 'history' || cmd === 'hist') return history(state, p)
  if (cmd === 'rollback') return rollback(state, p)
  return undefined
}
