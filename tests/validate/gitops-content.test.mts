// What the GitOps repository must say for the real charts and controllers, beyond schema validity: drift
// detection that ignores what the Prometheus Operator writes, Grafana's root_url fed with the real host port,
// and git-mode instructions that create every Secret the add-on values need.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { readAddons } from '../../scripts/lib/helm/addons.mts'
import { desiredValues } from '../../scripts/lib/helm/plan.mts'
import { HOST_VALUES_CONFIGMAP, runtimeValues, runtimeValuesManifest } from '../../scripts/lib/helm/runtime-values.mts'
import { REPO } from '../helpers/fakes.mts'

const KPS = path.join(REPO, 'infrastructure', 'controllers', 'kube-prometheus-stack')
const release = () => YAML.parse(fs.readFileSync(path.join(KPS, 'release.yaml'), 'utf8'))
const values = () => YAML.parse(fs.readFileSync(path.join(KPS, 'values.yaml'), 'utf8'))

test('kube-prometheus-stack drift detection ignores the annotation the operator webhook adds to PrometheusRules', () => {
  const ignore = release().spec.driftDetection.ignore as { paths: string[]; target: { kind: string } }[]
  assert.is(release().spec.driftDetection.mode, 'enabled')
  assert.ok(ignore.some((r) => r.target.kind === 'PrometheusRule' && r.paths.includes('/metadata/annotations/prometheus-operator-validated')), JSON.stringify(ignore))
})

test('Grafana root_url: values.yaml defaults to the default host port; the real one comes from an optional runtime ConfigMap', () => {
  assert.is(values().grafana['grafana.ini'].server.root_url, 'http://grafana.localhost:8080/')
  const from = release().spec.valuesFrom as { kind: string; name: string; valuesKey?: string; optional?: boolean }[]
  assert.equal(from.at(-1), { kind: 'ConfigMap', name: HOST_VALUES_CONFIGMAP, valuesKey: 'values.yaml', optional: true })
  const kps = readAddons(REPO).find((a) => a.name === 'kube-prometheus-stack')!
  assert.equal(kps.runtimeValues, [{ configMap: HOST_VALUES_CONFIGMAP, namespace: 'monitoring', key: 'values.yaml' }])
  const layer = runtimeValues(kps.runtimeValues[0]!, { httpPort: 18080 })!
  const merged = desiredValues(kps, [layer]) as any
  assert.is(merged.grafana['grafana.ini'].server.root_url, 'http://grafana.localhost:18080/')
  assert.is(merged.grafana['grafana.ini'].server.domain, 'grafana.localhost', 'the rest of values.yaml stays')
  const cm = YAML.parse(runtimeValuesManifest(kps.runtimeValues[0]!, layer))
  assert.equal([cm.kind, cm.metadata.namespace, cm.metadata.name], ['ConfigMap', 'monitoring', HOST_VALUES_CONFIGMAP])
  assert.is(cm.metadata.labels['reconcile.fluxcd.io/watch'], 'Enabled')
  assert.equal(YAML.parse(cm.data['values.yaml']), layer)
  assert.is(runtimeValues({ configMap: 'someone-elses', namespace: 'x', key: 'values.yaml' }, { httpPort: 1 }), undefined)
})

test('bootstrap/README.md git mode creates the Secret Grafana reads (name and both keys from values.yaml)', () => {
  const admin = values().grafana.admin as { existingSecret: string; userKey: string; passwordKey: string }
  const readme = fs.readFileSync(path.join(REPO, 'bootstrap', 'README.md'), 'utf8')
  const git = readme.slice(readme.indexOf('## Git mode'), readme.indexOf('## No-Flux mode'))
  const create = new RegExp(`kubectl -n monitoring create secret generic ${admin.existingSecret}[^\\n]*\\\\\\n[^\\n]*--from-literal=${admin.userKey}=\\S+ --from-literal=${admin.passwordKey}=`)
  assert.match(git, create)
  assert.match(git, 'kubectl create namespace monitoring')
  assert.match(git, '--private-key-file', 'the ssh deploy key is documented too')
})

test.run()
