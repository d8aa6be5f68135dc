// Grafana's root_url carries the gateway's real host port (remapped ports included) on both install paths:
// Flux reads the ConfigMap up writes (optional valuesFrom), a plain helm install gets it as one more values layer.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { runScript } from '../helpers/proc.mts'
import { clusterWorld, isMutating, line, seedPlatformState } from './world.mts'

// up remapped INGRESS_HTTP_PORT 8080 to 18080 on an earlier run and remembered it
const remapped = (http: number) => ({ ports: { registry: 5001, http, https: 8443, requested: { registry: 5001, http: 8080, https: 8443 } } })
const rootUrl = (values: any) => values?.grafana?.['grafana.ini']?.server?.root_url

test('FLUX_MODE=none: the kube-prometheus-stack release gets root_url with the remembered host port; a re-run changes nothing', async () => {
  const f = clusterWorld({ FLUX_MODE: 'none' })
  try {
    seedPlatformState(f, remapped(18080))
    const r = await runScript('up', ['--only', 'addons'], { env: f.env, timeoutMs: 180_000 })
    assert.is(r.code, 0, r.stderr)
    const kps = f.state().helm.releases['kind-platform']['monitoring/kube-prometheus-stack']
    assert.is(rootUrl(kps.values), 'http://grafana.localhost:18080/')
    assert.is(kps.values.grafana.admin.existingSecret, 'grafana-admin', 'values.yaml is still the base')
    assert.ok(f.calls('helm').some((c) => c.argv.includes('upgrade') && c.argv.includes('kube-prometheus-stack') && c.argv.join(' ').includes('--values -')))
    f.clearCalls()
    const again = await runScript('up', ['--only', 'addons'], { env: f.env, timeoutMs: 180_000 })
    assert.is(again.code, 0, again.stderr)
    assert.equal(f.calls().filter(isMutating).map(line), [])
  } finally {
    f.cleanup()
  }
})

test('Flux modes: up writes ConfigMap monitoring/kube-prometheus-stack-host-values; a new port updates it and asks helm-controller to reconcile', async () => {
  const f = clusterWorld()
  try {
    seedPlatformState(f, remapped(18080))
    const r = await runScript('up', ['--only', 'addons'], { env: f.env, timeoutMs: 180_000 })
    assert.is(r.code, 0, r.stderr)
    const cm = () => f.state().kube.objects['kind-platform'].find((o: any) => o.kind === 'ConfigMap' && o.metadata.name === 'kube-prometheus-stack-host-values')
    assert.is(cm().metadata.namespace, 'monitoring')
    assert.is(rootUrl(YAML.parse(cm().data['values.yaml'])), 'http://grafana.localhost:18080/')
    assert.is(cm().metadata.labels['reconcile.fluxcd.io/watch'], 'Enabled')
    // Flux runs kube-prometheus-stack here, not helm
    assert.not.ok('monitoring/kube-prometheus-stack' in f.state().helm.releases['kind-platform'])

    // the HelmRelease exists (Flux applied it); the port moves: ConfigMap updated, reconcile requested
    f.setState((s) => { s.kube.objects['kind-platform'].push({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'kube-prometheus-stack', namespace: 'monitoring' }, spec: {} }) })
    seedPlatformState(f, remapped(18090))
    f.clearCalls()
    const moved = await runScript('up', ['--only', 'addons'], { env: f.env, timeoutMs: 180_000 })
    assert.is(moved.code, 0, moved.stderr)
    assert.is(rootUrl(YAML.parse(cm().data['values.yaml'])), 'http://grafana.localhost:18090/')
    const hr = f.state().kube.objects['kind-platform'].find((o: any) => o.kind === 'HelmRelease' && o.metadata.name === 'kube-prometheus-stack')
    assert.ok(hr.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'], 'helm-controller asked to reconcile now')

    f.clearCalls()
    const same = await runScript('up', ['--only', 'addons'], { env: f.env, timeoutMs: 180_000 })
    assert.is(same.code, 0, same.stderr)
    assert.equal(f.calls().filter(isMutating).map(line), [])
  } finally {
    f.cleanup()
  }
})

test.run()
