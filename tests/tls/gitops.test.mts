// The GitOps side of HTTPS, from the real kustomize build: every host the platform serves (the URLs up prints,
// for every environment ENVIRONMENTS allows) has a Certificate from the local CA's ClusterIssuer and an HTTPS
// listener on Traefik's websecure port serving that Certificate's Secret; HTTP stays; routes are not pinned to
// the HTTP listener; the issuer reads the Secret up creates; cert-manager installs its CRDs.
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../scripts/lib/shell/config.mts'
import { createRunner } from '../../scripts/lib/shell/run.mts'
import { CA_SECRET, CLUSTER_ISSUER } from '../../scripts/lib/tls/secret.mts'
import { kustomizeBuild } from '../../scripts/lib/tools/kubectl.mts'
import { endpoints } from '../../scripts/lib/up/summary.mts'
import { REPO } from '../helpers/fakes.mts'

const runner = createRunner({})
const build = async (dir: string) => YAML.parseAllDocuments(await kustomizeBuild(runner, path.join(REPO, dir))).map((d) => d.toJS()).filter(Boolean) as Record<string, any>[]
const configs = await build('infrastructure/configs')
const config = loadConfig({ env: { ENVIRONMENTS: 'dev,staging,production' }, envFile: '/nonexistent' })
const served = (() => {
  const ep = endpoints(config, { http: 8080, https: 8443 }, '/state', '/state/tls/ca.crt')
  return [...Object.values(ep.https!.apps), ep.https!.grafana!, ep.https!.prometheus!].map((u) => new URL(u).hostname)
})()

test('every host up prints has a Certificate from the local CA and an HTTPS listener (websecure, 8443) serving its Secret', () => {
  assert.equal(served.sort(), ['dev.demo.localhost', 'grafana.localhost', 'production.demo.localhost', 'prometheus.localhost', 'staging.demo.localhost'])
  const gateway = configs.find((o) => o.kind === 'Gateway' && o.metadata.name === 'platform')!
  const certs = configs.filter((o) => o.kind === 'Certificate')
  for (const host of served) {
    const listener = gateway.spec.listeners.find((l: any) => l.hostname === host && l.protocol === 'HTTPS')
    assert.ok(listener, `an HTTPS listener for ${host}`)
    assert.is(listener.port, 8443, 'Traefik matches listeners to entryPoint ports: 8443 is websecure')
    assert.is(listener.tls.mode, 'Terminate')
    const secret = listener.tls.certificateRefs[0].name
    const cert = certs.find((c) => c.spec.secretName === secret)
    assert.ok(cert, `a Certificate whose Secret ${secret} the listener serves`)
    assert.is(cert!.metadata.namespace, gateway.metadata.namespace, 'same namespace as the Gateway: no ReferenceGrant needed')
    assert.ok(cert!.spec.dnsNames.includes(host))
    assert.equal(cert!.spec.issuerRef, { group: 'cert-manager.io', kind: 'ClusterIssuer', name: CLUSTER_ISSUER })
  }
  const http = gateway.spec.listeners.find((l: any) => l.protocol === 'HTTP')
  assert.equal([http.port, http.hostname], [8000, '*.localhost'], 'HTTP stays served')
})

test('the ClusterIssuer reads the Secret up creates; routes attach to the HTTPS listeners too', () => {
  const issuer = configs.find((o) => o.kind === 'ClusterIssuer')!
  assert.is(issuer.metadata.name, CLUSTER_ISSUER)
  assert.is(issuer.spec.ca.secretName, CA_SECRET.name)
  for (const route of configs.filter((o) => o.kind === 'HTTPRoute')) {
    for (const ref of route.spec.parentRefs) assert.is(ref.sectionName, undefined, `${route.metadata.name} is not pinned to one listener`)
  }
  // the ingress namespace admits the websecure entryPoint (8443); the webhook of cert-manager is reachable
  const web = configs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'ingress' && o.metadata.name === 'allow-web-traffic')!
  assert.ok(web.spec.ingress[0].ports.some((p: any) => p.port === 8443))
  const hook = configs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'cert-manager' && o.metadata.name === 'allow-admission-webhook')!
  assert.ok(hook.spec.ingress[0].ports.some((p: any) => p.port === 10250))
})

test('cert-manager: its namespace (the Secret lives there) before Flux, CRDs from the chart, restricted pods', async () => {
  const controllers = await build('infrastructure/controllers')
  const ns = controllers.find((o) => o.kind === 'Namespace' && o.metadata.name === CA_SECRET.namespace)
  assert.ok(ns, 'namespace cert-manager is one of the platform namespaces (applied by the addons phase)')
  assert.is(ns!.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted')
  const release = controllers.find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'cert-manager')!
  assert.is(release.metadata.namespace, 'cert-manager')
  const values = YAML.parse(fs.readFileSync(path.join(REPO, 'infrastructure/controllers/cert-manager/values.yaml'), 'utf8'))
  assert.is(values.crds.enabled, true)
  const source = controllers.find((o) => o.kind === 'OCIRepository' && o.metadata.name === 'cert-manager')!
  assert.match(source.spec.ref.tag, /^v\d+\.\d+\.\d+$/, 'pinned')
})

test.run()
