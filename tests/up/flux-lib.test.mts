// Pure Flux helpers: install tuning and version check, bootstrap rendering, artifact staging, readiness.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { decideInstall, installedFlux, setArgs, tuneInstallManifests } from '../../scripts/lib/flux/install.mts'
import { renderBootstrap, rootKustomizations, unwantedAppKustomizations } from '../../scripts/lib/flux/bootstrap.mts'
import { artifactMetadata, compareManifests, publicRemote, stageArtifact } from '../../scripts/lib/flux/artifact.mts'
import { assess, blockedBy, progressLine, rootCauses, tick } from '../../scripts/lib/flux/readiness.mts'
import { REPO } from '../helpers/fakes.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const deployment = (name: string, version: string, args: string[], extraLabels: Record<string, string> = {}) => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name, namespace: 'flux-system', labels: { 'app.kubernetes.io/part-of': 'flux', 'app.kubernetes.io/version': version, ...extraLabels } },
  spec: { template: { spec: { containers: [{ name: 'manager', args }] } } },
})

test('install manifests get --concurrent and --requeue-dependency on the controllers, replacing defaults', () => {
  const yaml = YAML.stringify(deployment('kustomize-controller', 'v2.7.2', ['--log-level=info', '--concurrent=4']))
    + '---\n' + YAML.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flux-system' } })
  const out = YAML.parseAllDocuments(tuneInstallManifests(yaml)).map((d) => d.toJS())
  assert.equal(out[0].spec.template.spec.containers[0].args, ['--log-level=info', '--concurrent=10', '--requeue-dependency=5s'])
  assert.is(out[1].kind, 'Namespace')
  assert.equal(setArgs(['--a=1', '--b'], { '--b': '2' }), ['--a=1', '--b=2'])
})

test('install decision: skip when the same version is installed and tuned, upgrade otherwise, leave bootstrapped Flux alone', () => {
  const tuned = ['--concurrent=10', '--requeue-dependency=5s']
  const all = (v: string, args = tuned) => ['source-controller', 'kustomize-controller', 'helm-controller'].map((n) => deployment(n, v, args))
  assert.is(decideInstall(installedFlux([]), 'v2.7.2').action, 'install')
  assert.is(decideInstall(installedFlux(all('v2.7.2')), 'v2.7.2').action, 'skip')
  const older = decideInstall(installedFlux(all('v2.6.0')), 'v2.7.2')
  assert.is(older.action, 'upgrade')
  assert.match(older.reason, 'v2.6.0 -> v2.7.2')
  assert.is(decideInstall(installedFlux(all('v2.7.2', ['--concurrent=4'])), 'v2.7.2').action, 'upgrade')
  assert.is(decideInstall(installedFlux(all('v2.7.2').slice(0, 2)), 'v2.7.2').action, 'upgrade')
  const boot = all('v2.7.2').map((d) => ({ ...d, metadata: { ...d.metadata, labels: { ...d.metadata.labels, 'kustomize.toolkit.fluxcd.io/name': 'flux-system' } } }))
  assert.is(decideInstall(installedFlux(boot), 'v2.7.2').action, 'leave')
})

const bootstrapObjs = (): Record<string, any>[] => [
  { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name: 'platform', namespace: 'flux-system' }, spec: { url: 'oci://kind-registry:5000/platform', ref: { tag: 'local' }, insecure: true } },
  ...['dev', 'staging', 'production'].map((e) => ({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name: `apps-${e}`, namespace: 'flux-system' }, spec: { url: 'oci://kind-registry:5000/apps', ref: { tag: e }, insecure: true } })),
  { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'infra-controllers', namespace: 'flux-system' }, spec: { path: './infrastructure/controllers' } },
  ...['dev', 'staging', 'production'].map((e) => ({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: `apps-${e}`, namespace: 'flux-system' }, spec: { path: `./apps/overlays/${e}`, sourceRef: { kind: 'OCIRepository', name: `apps-${e}` }, images: [{ name: 'demo', newTag: 'left-by-an-older-up' }] } })),
]

test('bootstrap rendering: registry name on every source, each environment at its own tag, no image override, chosen environments', () => {
  const out = renderBootstrap(bootstrapObjs(), { registryName: 'my-reg', environments: ['dev', 'production'] })
  const sources = out.filter((o) => o.kind === 'OCIRepository')
  assert.equal(sources.map((o) => [o.metadata.name, o.spec.url, o.spec.ref.tag]), [
    ['platform', 'oci://my-reg:5000/platform', 'local'],
    ['apps-dev', 'oci://my-reg:5000/apps', 'dev'],
    ['apps-production', 'oci://my-reg:5000/apps', 'production'],
  ])
  assert.equal(rootKustomizations(out), ['infra-controllers', 'apps-dev', 'apps-production'])
  // the image travels inside the apps artifact: an apply-time override would move every environment at once
  for (const o of out.filter((x) => x.kind === 'Kustomization')) assert.is(o.spec.images, undefined, o.metadata.name)
  assert.equal(unwantedAppKustomizations(['infra-controllers', 'apps-dev', 'apps-staging'], ['dev']), ['apps-staging'])
  // the input is not modified
  assert.is(bootstrapObjs()[0]!.spec.url, 'oci://kind-registry:5000/platform')
})

test('the real bootstrap/ renders with the expected roots and one apps source per environment', async () => {
  const { execFileSync } = await import('node:child_process')
  const yaml = execFileSync('kubectl', ['kustomize', path.join(REPO, 'bootstrap')], { encoding: 'utf8' })
  const objs = YAML.parseAllDocuments(yaml).map((d) => d.toJS())
  const out = renderBootstrap(objs, { registryName: 'kind-registry', environments: ['dev', 'staging', 'production'] })
  assert.ok(rootKustomizations(out).includes('infra-controllers'))
  assert.ok(rootKustomizations(out).includes('apps-dev'))
  for (const env of ['dev', 'staging', 'production']) {
    const ks = out.find((o) => o.kind === 'Kustomization' && o.metadata.name === `apps-${env}`)!
    assert.equal(ks.spec.sourceRef, { kind: 'OCIRepository', name: `apps-${env}` })
    assert.is(out.find((o) => o.kind === 'OCIRepository' && o.metadata.name === `apps-${env}`)!.spec.ref.tag, env)
  }
  assert.equal(out.find((o) => o.metadata.name === 'infra-controllers')!.spec.sourceRef, { kind: 'OCIRepository', name: 'platform' })
})

test('artifact staging copies only the GitOps directories, content-addressed and reproducible', () => {
  const dest1 = tempDir('artifact-')
  const dest2 = tempDir('artifact-')
  try {
    const a = stageArtifact(REPO, dest1)
    const b = stageArtifact(REPO, dest2)
    assert.is(a.hash, b.hash)
    assert.ok(Object.keys(a.files).includes('bootstrap/kustomization.yaml'))
    assert.ok(Object.keys(a.files).some((f) => f.startsWith('apps/overlays/dev/')))
    assert.not.ok(Object.keys(a.files).some((f) => f.startsWith('apps/demo/') || f.includes('node_modules')))
    assert.is(fs.statSync(path.join(dest1, 'bootstrap/kustomization.yaml')).mode & 0o777, 0o644)
    assert.equal(compareManifests({ x: '1', y: '2' }, { y: '3', z: '4' }), { added: ['z'], changed: ['y'], removed: ['x'] })
  } finally {
    removeDir(dest1)
    removeDir(dest2)
  }
})

test('artifact metadata: commit revision when clean, content hash when dirty; no credentials from the remote', () => {
  assert.equal(artifactMetadata('/r', { sha: 'abc', branch: 'main', dirty: false, remote: 'https://x:tok3n@github.com/o/r.git' }, 'h'),
    { source: 'https://github.com/o/r.git', revision: 'main@sha1:abc' })
  assert.equal(artifactMetadata('/r', { sha: 'abc', branch: 'main', dirty: true }, 'h'), { source: 'file:///r', revision: 'main@sha256:h' })
  assert.is(publicRemote('git@github.com:o/r.git'), 'git@github.com:o/r.git')
})

const ks = (name: string, ready: string, opts: { deps?: string[]; message?: string; applied?: string; stalled?: boolean } = {}) => ({
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name, namespace: 'flux-system', generation: 1 },
  spec: { dependsOn: (opts.deps ?? []).map((n) => ({ name: n })), sourceRef: { kind: 'OCIRepository', name: 'platform' } },
  status: { observedGeneration: 1, lastAppliedRevision: opts.applied ?? 'local@sha256:1', conditions: [{ type: 'Ready', status: ready, message: opts.message ?? '' }, ...(opts.stalled ? [{ type: 'Stalled', status: 'True', message: 'build failed' }] : [])] },
})
const hr = (name: string, ns: string, ready: string, parent: string, message = '') => ({
  apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease',
  metadata: { name, namespace: ns, labels: { 'kustomize.toolkit.fluxcd.io/name': parent, 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' } },
  status: { conditions: [{ type: 'Ready', status: ready, message }] },
})
const oci = (revision: string) => ({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name: 'platform', namespace: 'flux-system' }, status: { artifact: { revision }, conditions: [{ type: 'Ready', status: 'True' }] } })

test('readiness in dependency order: blocked objects name what they wait for; the stuck HelmRelease is the root cause', () => {
  const objs = [
    oci('local@sha256:1'),
    ks('infra-controllers', 'False', { message: 'health check failed' }),
    ks('infra-configs', 'False', { deps: ['infra-controllers'] }),
    ks('apps-dev', 'False', { deps: ['infra-configs'] }),
    hr('metrics-server', 'kube-system', 'True', 'infra-controllers'),
    hr('kube-prometheus-stack', 'monitoring', 'False', 'infra-controllers', 'Running install action'),
  ]
  const a = assess(objs, ['Kustomization/flux-system/infra-controllers'])
  assert.not.ok(a.done)
  assert.is(a.ready, 1)
  const byName = Object.fromEntries(a.tracked.map((t) => [t.name, t]))
  assert.is(byName['apps-dev']!.state, 'blocked')
  assert.equal(byName['apps-dev']!.waitingOn, ['Kustomization/flux-system/infra-configs'])
  assert.ok(a.tracked.findIndex((t) => t.name === 'infra-controllers') < a.tracked.findIndex((t) => t.name === 'apps-dev'), 'dependencies listed first')
  const causes = rootCauses(a)
  assert.equal(causes.map((c) => c.id), ['HelmRelease/monitoring/kube-prometheus-stack'])
  assert.ok(blockedBy(a, 'HelmRelease/monitoring/kube-prometheus-stack').some((t) => t.name === 'apps-dev'))
  assert.match(progressLine(a), 'ks/apps-dev ← ks/infra-configs')
})

test('readiness: a Kustomization that has not applied the latest source revision is not ready yet; Stalled fails; missing roots wait', () => {
  const stale = assess([oci('local@sha256:2'), ks('apps-dev', 'True', { applied: 'local@sha256:1' })])
  assert.is(stale.tracked.find((t) => t.name === 'apps-dev')!.state, 'progressing')
  assert.ok(assess([oci('local@sha256:2'), ks('apps-dev', 'True', { applied: 'local@sha256:2' })]).done)
  assert.is(assess([ks('x', 'False', { stalled: true })]).tracked[0]!.state, 'failed')
  const missing = assess([], ['Kustomization/flux-system/apps-dev'])
  assert.not.ok(missing.done)
  assert.is(missing.tracked[0]!.state, 'missing')
})

test('wait clocks start when an object can progress and expire after the timeout', () => {
  const clocks = new Map<string, number>()
  const a = assess([ks('a', 'False'), ks('b', 'False', { deps: ['a'] })])
  assert.equal(tick(clocks, a, 1000, 500), [])
  assert.equal([...clocks.keys()], ['Kustomization/flux-system/a'], 'blocked objects are not timed')
  assert.equal(tick(clocks, a, 1600, 500), ['Kustomization/flux-system/a'])
  tick(clocks, assess([ks('a', 'True'), ks('b', 'True', { deps: ['a'] })]), 1700, 500)
  assert.is(clocks.size, 0)
})

test('credentials in FLUX_GIT_URL are split off (for GIT_PASSWORD) and registered for redaction', async () => {
  const { splitGitCredentials } = await import('../../scripts/lib/up/phases/flux.mts')
  const { redact } = await import('../../scripts/lib/shell/redact.mts')
  const s = splitGitCredentials('https://me:t%40ken-123456@git.example.com/org/repo.git')
  assert.equal(s, { url: 'https://git.example.com/org/repo.git', username: 'me', password: 't@ken-123456' })
  assert.is(redact('x t@ken-123456 y'), 'x *** y')
  assert.equal(splitGitCredentials('ssh://git@github.com/o/r.git'), { url: 'ssh://git@github.com/o/r.git' })
})

test('git over ssh:// needs a key file that exists (refused before anything is created, exit 2, with the fix); scp-like URLs are rewritten for you', async () => {
  const { assertFluxModeSupported, sshKeyPath } = await import('../../scripts/lib/up/phases/flux.mts')
  const { loadConfig } = await import('../../scripts/lib/shell/config.mts')
  const { fluxBootstrapGitArgs } = await import('../../scripts/lib/tools/flux.mts')
  const dir = tempDir('ssh-key-')
  try {
    fs.writeFileSync(path.join(dir, 'deploy'), '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n', { mode: 0o600 })
    const check = (env: Record<string, string>) => {
      try {
        assertFluxModeSupported({ root: dir, config: loadConfig({ env: { FLUX_MODE: 'git', ...env }, envFile: '/nonexistent' }) })
        return undefined
      } catch (e) {
        return e as { message: string; hint: string; exitCode: number }
      }
    }
    const none = check({ FLUX_GIT_URL: 'ssh://git@github.com/org/platform.git' })!
    assert.is(none.exitCode, 2)
    assert.match(none.message, 'needs FLUX_GIT_SSH_KEY_FILE')
    assert.match(none.message, 'new deploy key nobody added to the repository')
    assert.match(none.hint, 'deploy key with write access')
    const missing = check({ FLUX_GIT_URL: 'ssh://git@github.com/org/platform.git', FLUX_GIT_SSH_KEY_FILE: 'keys/nope' })!
    assert.is(missing.exitCode, 2)
    assert.match(missing.message, `FLUX_GIT_SSH_KEY_FILE=keys/nope does not exist (${path.join(dir, 'keys/nope')})`)
    assert.match(check({ FLUX_GIT_URL: 'ssh://git@github.com/org/platform.git', FLUX_GIT_SSH_KEY_FILE: '.' })!.message, 'is not a file')
    fs.writeFileSync(path.join(dir, 'deploy.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIfake me@host\n')
    const pub = check({ FLUX_GIT_URL: 'ssh://git@github.com/org/platform.git', FLUX_GIT_SSH_KEY_FILE: 'deploy.pub' })!
    assert.match(pub.message, 'deploy.pub is a public key')
    assert.not.match(pub.message + pub.hint, 'AAAAC3NzaC1lZDI1NTE5', 'the key file content is never shown')
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello\n')
    assert.match(check({ FLUX_GIT_URL: 'ssh://git@github.com/org/platform.git', FLUX_GIT_SSH_KEY_FILE: 'notes.txt' })!.message, 'is not a PEM/OpenSSH private key')
    assert.is(check({ FLUX_GIT_URL: 'ssh://git@github.com/org/platform.git', FLUX_GIT_SSH_KEY_FILE: 'deploy' }), undefined)
    const scp = check({ FLUX_GIT_URL: 'git@github.com:org/platform.git' })!
    assert.is(scp.exitCode, 2)
    assert.match(scp.hint, 'FLUX_GIT_URL=ssh://git@github.com/org/platform.git')
    assert.is(check({ FLUX_GIT_URL: 'https://github.com/org/platform.git', GITHUB_TOKEN: 'x'.repeat(20) }), undefined, 'https needs no key')
    assert.is(sshKeyPath('deploy', dir), path.join(dir, 'deploy'))
    assert.ok(sshKeyPath('~/.ssh/id', dir).endsWith('/.ssh/id') && !sshKeyPath('~/.ssh/id', dir).includes('~'))
    const args = fluxBootstrapGitArgs('kind-platform', { url: 'ssh://git@github.com/org/platform.git', branch: 'main', path: 'bootstrap/git', version: 'v2.7.2', components: ['source-controller'], timeoutMs: 60_000, privateKeyFile: '/k/deploy', password: 'pass' })
    assert.ok(args.includes('--private-key-file=/k/deploy'))
    assert.not.ok(args.some((a) => a.includes('pass') || a === '--token-auth'), 'the passphrase never goes to argv')
  } finally {
    removeDir(dir)
  }
})

test.run()
