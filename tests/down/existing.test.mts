// PLATFORM_PROVIDER=existing: down removes only what up recorded installing into that context (Flux, Helm
// releases, namespaces it created), never system namespaces, never other people's releases, never the context.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { commandLines, fakeEnv, type FakeEnv } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { KEY, runScriptInPty } from '../helpers/pty.mts'
import { kubectlCallsWithoutContext } from './world.mts'

const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
const release = (name: string, namespace: string) => ({ name, namespace, revision: 1, updated: '2026-01-01 00:00:00 +0000 UTC', status: 'deployed', chart: `${name}-1.0.0`, app_version: 'v1' })

function existingWorld(): FakeEnv {
  const f = fakeEnv({
    kube: {
      currentContext: 'prod-eks',
      contexts: { staging: { server: 'staging.example:443' }, 'prod-eks': { server: 'prod.example:443' } },
      objects: {
        staging: [
          ns('default'), ns('kube-system'), ns('flux-system'), ns('demo-dev'), ns('monitoring'), ns('team-a'),
          { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'flux-system' } },
          { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'demo', namespace: 'demo-dev' } },
          { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'their-app', namespace: 'team-a' } },
        ],
        'prod-eks': [ns('default'), ns('demo-dev')],
      },
    },
    helm: {
      version: 'v3.19.0',
      releases: {
        staging: { 'kube-system/metrics-server': release('metrics-server', 'kube-system'), 'monitoring/kube-prometheus-stack': release('kube-prometheus-stack', 'monitoring'), 'team-a/their-app': release('their-app', 'team-a') },
        'prod-eks': { 'kube-system/metrics-server': release('metrics-server', 'kube-system') },
      },
    },
  }, { PLATFORM_PROVIDER: 'existing', KUBE_CONTEXT: 'staging' })
  fs.mkdirSync(f.env.STATE_DIR!, { recursive: true })
  fs.writeFileSync(path.join(f.env.STATE_DIR!, 'state.json'), JSON.stringify({
    version: 1,
    provider: 'existing',
    cluster: { name: 'staging', context: 'staging', createdByUs: false },
    installed: { helmReleases: [{ name: 'metrics-server', namespace: 'kube-system' }, { name: 'kube-prometheus-stack', namespace: 'monitoring' }], namespaces: ['demo-dev', 'monitoring', 'kube-system'], flux: true },
  }))
  return f
}

const names = (f: FakeEnv, context: string) => (f.state().kube.objects[context] as { kind: string; metadata: { name: string } }[]).filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name).sort()
const releases = (f: FakeEnv, context: string) => Object.keys(f.state().helm.releases[context]).sort()

test('--yes removes exactly what up installed into the context, in order, and leaves everything else', async () => {
  const f = existingWorld()
  try {
    const r = await runScript('down', ['--yes', '--json'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    assert.equal(names(f, 'staging'), ['default', 'kube-system', 'team-a'])
    assert.equal(releases(f, 'staging'), ['team-a/their-app'])
    assert.ok(f.state().kube.objects.staging.some((o: { metadata: { name: string } }) => o.metadata.name === 'their-app'))
    // the other cluster and the kubeconfig are untouched
    assert.equal(names(f, 'prod-eks'), ['default', 'demo-dev'])
    assert.equal(releases(f, 'prod-eks'), ['kube-system/metrics-server'])
    assert.equal(Object.keys(f.state().kube.contexts).sort(), ['prod-eks', 'staging'])
    assert.is(f.state().kube.currentContext, 'prod-eks')
    const lines = commandLines(f.calls())
    const order = ['kubectl --context staging -n flux-system delete kustomizations', 'flux uninstall', 'helm uninstall metrics-server', 'helm uninstall kube-prometheus-stack', 'kubectl --context staging delete namespace demo-dev', 'kubectl --context staging delete namespace monitoring']
    const at = order.map((o) => lines.findIndex((l) => l.startsWith(o)))
    assert.ok(at.every((i, n) => i !== -1 && (n === 0 || i > at[n - 1]!)), `${at}\n${lines.join('\n')}`)
    assert.not.ok(lines.some((l) => /delete namespace kube-system|kind |docker /.test(l)), lines.join('\n'))
    assert.equal(kubectlCallsWithoutContext(f, 'staging'), [])
    assert.ok(f.calls('helm').every((c) => c.argv.join(' ').includes('--kube-context staging')))
    assert.ok(f.calls('flux').every((c) => c.argv.join(' ').includes('--context staging')))
    const report = JSON.parse(r.stdout)
    assert.equal(report.provider, 'existing')
    assert.equal(report.leftovers, [])
    assert.ok(report.notes.some((n: string) => n.includes('kube-system') && n.includes('never deleted')))
    assert.not.ok(fs.existsSync(f.env.STATE_DIR!))

    // again: nothing left to do
    f.clearCalls()
    const again = await runScript('down', ['--yes'], { env: f.env })
    assert.is(again.code, 0, again.stderr)
    assert.not.ok(commandLines(f.calls()).some((l) => /delete|uninstall/.test(l)))
  } finally {
    f.cleanup()
  }
})

test('Flux recorded but no Kustomization left: kubectl says "No resources found", down reports it as already gone, not deleted', async () => {
  const f = existingWorld()
  try {
    f.setState((s) => { s.kube.objects.staging = s.kube.objects.staging.filter((o: { kind: string }) => o.kind !== 'Kustomization') })
    const r = await runScript('down', ['--yes', '--json'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout)
    const prune = report.actions.find((a: { description: string }) => a.description.startsWith('delete Flux Kustomizations'))
    assert.is(prune.result, 'absent', JSON.stringify(report.actions))
    assert.match(r.stderr, /delete Flux Kustomizations in flux-system \(staging\)[^\n]*already gone/)
    // the namespaces that were there are still reported as deleted
    assert.is(report.actions.find((a: { description: string }) => a.description.includes('namespace demo-dev')).result, 'deleted')
  } finally {
    f.cleanup()
  }
})

test('without a TTY and without --yes nothing is removed; an unreachable context fails before deleting', async () => {
  const f = existingWorld()
  try {
    const r = await runScript('down', [], { env: f.env })
    assert.is(r.code, 4)
    assert.match(r.stderr, 'what up installed into context "staging"')
    assert.match(r.stderr, '--yes')
    f.setState((s) => { s.kube.contexts.staging.reachable = false })
    const u = await runScript('down', ['--yes'], { env: f.env })
    assert.is(u.code, 4, u.stderr)
    assert.match(u.stderr, 'nothing was deleted')
    assert.ok(fs.existsSync(path.join(f.env.STATE_DIR!, 'state.json')))
    assert.not.ok(commandLines(f.calls()).some((l) => /delete|uninstall/.test(l)))
  } finally {
    f.cleanup()
  }
})

test('on a terminal it lists what up installed and asks, naming the context', async () => {
  const f = existingWorld()
  try {
    const r = await runScriptInPty('down', [], {
      env: f.env,
      // choices: Flux [x], metrics-server [x], kube-prometheus-stack [x], namespace demo-dev [x], namespace monitoring [x], state [x]
      steps: [
        { expect: 'Select what to delete', send: KEY.space }, // keep Flux
        { send: KEY.down }, { send: KEY.space }, // keep metrics-server
        { send: KEY.enter },
        { expect: 'Remove 3 things up installed into context "staging" \\(and local state\\)\\?', send: 'y' },
      ],
    })
    assert.is(r.code, 0, r.output)
    assert.match(r.output, 'Helm release monitoring/kube-prometheus-stack')
    assert.equal(releases(f, 'staging'), ['kube-system/metrics-server', 'team-a/their-app'])
    assert.equal(names(f, 'staging'), ['default', 'flux-system', 'kube-system', 'team-a'])
    assert.not.ok(f.calls('flux').some((c) => c.argv.includes('uninstall')))
  } finally {
    f.cleanup()
  }
})

test.run()
