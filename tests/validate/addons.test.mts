import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chartArgs, namespaceFiles, orderAddons, readAddons, type Addon } from '../../scripts/lib/helm/addons.mts'
import { StepError } from '../../scripts/lib/shell/errors.mts'
import { REPO } from '../helpers/fakes.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

function writeTree(files: Record<string, string>): string {
  const dir = tempDir('addons-')
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    fs.writeFileSync(path.join(dir, rel), text)
  }
  return dir
}

const release = (name: string, extra = '') => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
spec:
  interval: 10m
  chart:
    spec:
      chart: ${name}-chart
      version: 1.2.3
      sourceRef:
        kind: HelmRepository
        name: charts
  valuesFrom:
    - kind: ConfigMap
      name: ${name}-values
${extra}`

const addonDir = (name: string, ns: string, extra = '') => ({
  [`infrastructure/controllers/${name}/kustomization.yaml`]: `namespace: ${ns}
resources: [release.yaml, ../repo.yaml]
configMapGenerator:
  - name: ${name}-values
    files: [values.yaml, extra.yaml=more-values.yaml]
`,
  [`infrastructure/controllers/${name}/release.yaml`]: release(name, extra),
  [`infrastructure/controllers/${name}/values.yaml`]: 'a: 1\n',
  [`infrastructure/controllers/${name}/more-values.yaml`]: 'b: 2\n',
})

function fixture(overrides: Record<string, string> = {}): string {
  return writeTree({
    'infrastructure/controllers/kustomization.yaml': 'resources: [ns.yaml, alpha, beta]\n',
    'infrastructure/controllers/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n',
    'infrastructure/controllers/repo.yaml': 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\nspec:\n  interval: 1h\n  url: https://charts.example.com/\n',
    // beta is declared after alpha but alpha depends on it: beta must come first
    ...addonDir('alpha', 'team', '  dependsOn:\n    - name: beta\n  timeout: 90s\n'),
    ...addonDir('beta', 'team'),
    ...overrides,
  })
}

test('the repository declares metrics-server, kube-prometheus-stack, traefik and cert-manager, pinned, with values files that exist', () => {
  const addons = readAddons(REPO)
  const names = addons.map((a) => a.name)
  assert.equal(names.sort(), ['cert-manager', 'kube-prometheus-stack', 'metrics-server', 'traefik'])
  for (const a of addons) {
    // cert-manager tags its charts with a leading v
    assert.match(a.version, /^v?\d+\.\d+\.\d+$/, `${a.name} version is pinned`)
    assert.ok(a.valuesFiles.length > 0, `${a.name} has a values file`)
    for (const f of a.valuesFiles) assert.ok(path.isAbsolute(f) && fs.existsSync(f), f)
  }
  const kps = addons.find((a) => a.name === 'kube-prometheus-stack')!
  assert.is(kps.namespace, 'monitoring')
  assert.is(kps.repo.type, 'oci')
  assert.ok(kps.repo.url.startsWith('oci://') && kps.repo.url.endsWith('/kube-prometheus-stack'))
  const ms = addons.find((a) => a.name === 'metrics-server')!
  assert.is(ms.namespace, 'kube-system')
  assert.is(ms.repo.type, 'https')
  assert.ok(fs.readFileSync(ms.valuesFiles[0]!, 'utf8').includes('--kubelet-insecure-tls'))
  const cm = addons.find((a) => a.name === 'cert-manager')!
  assert.is(cm.namespace, 'cert-manager')
  assert.is(cm.repo.url, 'oci://quay.io/jetstack/charts/cert-manager')
  // the chart installs its CRDs only when told to (they are templates, not files in crds/)
  assert.match(fs.readFileSync(cm.valuesFiles[0]!, 'utf8'), /^crds:\n {2}enabled: true$/m)
  assert.equal(namespaceFiles(REPO).map((f) => path.relative(REPO, f)), ['infrastructure/controllers/namespaces.yaml'])
})

test('values files come from the configMapGenerator named in valuesFrom; the outer namespace wins; dependencies first', () => {
  const dir = fixture()
  try {
    const addons = readAddons(dir)
    assert.equal(addons.map((a) => a.name), ['beta', 'alpha'])
    const alpha = addons[1]!
    assert.is(alpha.namespace, 'team')
    assert.is(alpha.chart, 'alpha-chart')
    assert.is(alpha.version, '1.2.3')
    assert.equal(alpha.repo, { type: 'https', url: 'https://charts.example.com' })
    assert.equal(alpha.valuesFiles, [path.join(dir, 'infrastructure/controllers/alpha/values.yaml')])
    assert.equal(alpha.dependsOn, ['beta'])
    assert.is(alpha.timeout, '90s')
    assert.is(alpha.timeoutMs, 90_000)
    assert.is(addons[0]!.timeout, '5m')
    assert.equal(chartArgs(alpha), ['alpha-chart', '--repo', 'https://charts.example.com', '--version', '1.2.3'])
  } finally {
    removeDir(dir)
  }
})

test('valuesKey picks another file of the generator; OCI HelmRepository and OCIRepository chartRef give oci:// chart refs', () => {
  const dir = fixture({
    'infrastructure/controllers/beta/release.yaml': `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: beta
spec:
  interval: 10m
  releaseName: beta-release
  chartRef:
    kind: OCIRepository
    name: beta-chart
  valuesFrom:
    - kind: ConfigMap
      name: beta-values
      valuesKey: extra.yaml
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: beta-chart
spec:
  interval: 1h
  url: oci://registry.example.com/charts/beta
  ref:
    tag: 4.5.6
`,
    'infrastructure/controllers/repo.yaml': 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\nspec:\n  type: oci\n  interval: 1h\n  url: oci://ghcr.io/example/charts\n',
  })
  try {
    const addons = readAddons(dir)
    const beta = addons.find((a) => a.release.name === 'beta')!
    assert.is(beta.name, 'beta-release')
    assert.equal(beta.repo, { type: 'oci', url: 'oci://registry.example.com/charts/beta' })
    assert.is(beta.chart, 'beta')
    assert.is(beta.version, '4.5.6')
    assert.equal(beta.valuesFiles, [path.join(dir, 'infrastructure/controllers/beta/more-values.yaml')])
    assert.equal(chartArgs(beta), ['oci://registry.example.com/charts/beta', '--version', '4.5.6'])
    const alpha = addons.find((a) => a.release.name === 'alpha')!
    assert.equal(alpha.repo, { type: 'oci', url: 'oci://ghcr.io/example/charts/alpha-chart' })
    assert.equal(alpha.dependsOn, ['beta-release'])
  } finally {
    removeDir(dir)
  }
})

function throwsStep(fn: () => unknown, pattern: RegExp): StepError {
  try {
    fn()
  } catch (e) {
    assert.instance(e, StepError)
    assert.match((e as StepError).message, pattern)
    return e as StepError
  }
  assert.unreachable('expected a StepError')
  throw new Error('unreachable')
}

test('a valuesFrom ConfigMap without a generator is an error naming the release file', () => {
  const dir = fixture({ 'infrastructure/controllers/beta/kustomization.yaml': 'namespace: team\nresources: [release.yaml, ../repo.yaml]\n' })
  try {
    throwsStep(() => readAddons(dir), /beta\/release\.yaml: .*spec\.valuesFrom\[0\]: no configMapGenerator named beta-values/)
  } finally {
    removeDir(dir)
  }
})

test('an unpinned chart, a missing repository and a dependency cycle are errors', () => {
  let dir = fixture({ 'infrastructure/controllers/beta/release.yaml': release('beta').replace('      version: 1.2.3\n', '') })
  try {
    throwsStep(() => readAddons(dir), /version must pin the chart version/)
  } finally {
    removeDir(dir)
  }
  dir = fixture({ 'infrastructure/controllers/beta/release.yaml': release('beta').replace('name: charts', 'name: nope') })
  try {
    throwsStep(() => readAddons(dir), /HelmRepository team\/nope is not defined/)
  } finally {
    removeDir(dir)
  }
  const a = (name: string, dependsOn: string[]): Addon => ({ name, namespace: 'x', chart: name, version: '1.0.0', repo: { type: 'https', url: 'https://x' }, valuesFiles: [], runtimeValues: [], dependsOn, timeout: '5m', timeoutMs: 300_000, crds: true, release: { name, namespace: 'x', file: `/r/${name}.yaml` } })
  throwsStep(() => orderAddons([a('one', ['two']), a('two', ['one'])]), /dependency cycle: one -> two -> one/)
  throwsStep(() => orderAddons([a('one', ['ghost'])]), /depends on ghost/)
  assert.equal(orderAddons([a('c', ['b']), a('b', ['a']), a('a', [])]).map((x) => x.name), ['a', 'b', 'c'])
})

test.run()
