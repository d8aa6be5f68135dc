// Unit tests of the validate rule functions, on small in-memory objects.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { indexCrds, crdKey, validateAgainstCrd } from '../../scripts/lib/validate/crd.mts'
import { isFluxDuration, parseGoDuration } from '../../scripts/lib/validate/duration.mts'
import { createFieldChecker, suggest } from '../../scripts/lib/validate/fields.mts'
import { kindConfigFindings } from '../../scripts/lib/validate/kind-config.mts'
import { checkRefs, kustomizationRefs, readKustomization } from '../../scripts/lib/validate/kustomization-file.mts'
import { objectFindings, qualifiedNameProblem } from '../../scripts/lib/validate/object-checks.mts'
import { originWrapper, takeOrigin } from '../../scripts/lib/validate/origin.mts'
import { imageProblem, parseImage, workloadFindings } from '../../scripts/lib/validate/policy.mts'
import { hostnameMatches, referenceFindings } from '../../scripts/lib/validate/references.mts'
import { groupAcrossNamespaces, problemLine, renderHuman } from '../../scripts/lib/validate/report.mts'
import { loadModel, pointerToField } from '../../scripts/lib/validate/schema.mts'
import { summarizeBuildError } from '../../scripts/lib/validate/run.mts'
import type { SourcedObject } from '../../scripts/lib/validate/types.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

/** A Deployment that passes every workload rule; tests break one thing at a time. */
function goodDeployment(): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'team' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'web',
            image: 'registry.local:5000/web:1.2.3',
            ports: [{ name: 'http', containerPort: 8000 }],
            readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
            livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
            resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  }
}

const rulesOf = (findings: { rule: string }[]) => findings.map((f) => f.rule).sort()
const container = (d: Record<string, any>) => d.spec.template.spec.containers[0]
const C0 = 'spec.template.spec.containers[0]'

test('workload policy: a hardened Deployment passes', () => {
  assert.equal(workloadFindings(goodDeployment()), [])
})

test('workload policy: each PSS restricted rule fires on its field', () => {
  const cases: [string, (d: Record<string, any>) => void, string, string][] = [
    ['runAsNonRoot false on the container', (d) => { container(d).securityContext.runAsNonRoot = false }, 'pss/run-as-non-root', `${C0}.securityContext.runAsNonRoot`],
    ['runAsNonRoot missing everywhere', (d) => { delete d.spec.template.spec.securityContext.runAsNonRoot }, 'pss/run-as-non-root', `${C0}.securityContext.runAsNonRoot`],
    ['runAsNonRoot false on the pod', (d) => { d.spec.template.spec.securityContext.runAsNonRoot = false }, 'pss/run-as-non-root', 'spec.template.spec.securityContext.runAsNonRoot'],
    ['root user', (d) => { container(d).securityContext.runAsUser = 0 }, 'pss/run-as-user', `${C0}.securityContext.runAsUser`],
    ['privilege escalation not disabled', (d) => { delete container(d).securityContext.allowPrivilegeEscalation }, 'pss/allow-privilege-escalation', `${C0}.securityContext.allowPrivilegeEscalation`],
    ['capabilities not dropped', (d) => { container(d).securityContext.capabilities.drop = ['NET_RAW'] }, 'pss/capabilities', `${C0}.securityContext.capabilities.drop`],
    ['capability added', (d) => { container(d).securityContext.capabilities.add = ['SYS_ADMIN'] }, 'pss/capabilities', `${C0}.securityContext.capabilities.add`],
    ['no seccomp profile', (d) => { delete d.spec.template.spec.securityContext.seccompProfile }, 'pss/seccomp', `${C0}.securityContext.seccompProfile`],
    ['privileged', (d) => { container(d).securityContext.privileged = true }, 'pss/privileged', `${C0}.securityContext.privileged`],
    ['hostNetwork', (d) => { d.spec.template.spec.hostNetwork = true }, 'pss/host-namespaces', 'spec.template.spec.hostNetwork'],
    ['hostPath volume', (d) => { d.spec.template.spec.volumes = [{ name: 'h', hostPath: { path: '/' } }] }, 'pss/host-path', 'spec.template.spec.volumes[0].hostPath'],
    ['hostPort', (d) => { container(d).ports[0].hostPort = 80 }, 'pss/host-ports', `${C0}.ports[0].hostPort`],
    ['writable root filesystem', (d) => { container(d).securityContext.readOnlyRootFilesystem = false }, 'policy/read-only-root-fs', `${C0}.securityContext.readOnlyRootFilesystem`],
    ['no readiness probe', (d) => { delete container(d).readinessProbe }, 'policy/probes', `${C0}.readinessProbe`],
    ['no liveness probe', (d) => { delete container(d).livenessProbe }, 'policy/probes', `${C0}.livenessProbe`],
    ['no memory limit', (d) => { delete container(d).resources.limits.memory }, 'policy/resources', `${C0}.resources.limits.memory`],
    ['no cpu request', (d) => { delete container(d).resources.requests.cpu }, 'policy/resources', `${C0}.resources.requests.cpu`],
    [':latest', (d) => { container(d).image = 'registry.local:5000/web:latest' }, 'policy/image-pinned', `${C0}.image`],
    ['untagged', (d) => { container(d).image = 'registry.local:5000/web' }, 'policy/image-pinned', `${C0}.image`],
  ]
  for (const [name, mutate, rule, field] of cases) {
    const d = goodDeployment()
    mutate(d)
    const f = workloadFindings(d)
    assert.equal(rulesOf(f), [rule], name)
    assert.is(f[0]!.field, field, name)
  }
})

test('workload policy: Jobs need no probes; CronJob pod specs are found; non-workloads are ignored', () => {
  const d = goodDeployment()
  const podTemplate = d.spec.template
  delete podTemplate.spec.containers[0].readinessProbe
  delete podTemplate.spec.containers[0].livenessProbe
  assert.equal(workloadFindings({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: podTemplate } }), [])
  podTemplate.spec.containers[0].image = 'busybox'
  const cron = workloadFindings({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template: podTemplate } } } })
  assert.equal(cron.map((f) => f.field), ['spec.jobTemplate.spec.template.spec.containers[0].image'])
  assert.equal(workloadFindings({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }), [])
})

test('image references: registry ports are not tags; digests pin', () => {
  assert.equal(parseImage('kind-registry:5000/demo'), { name: 'kind-registry:5000/demo' })
  assert.equal(parseImage('kind-registry:5000/demo:abc123'), { name: 'kind-registry:5000/demo', tag: 'abc123' })
  assert.is(imageProblem('kind-registry:5000/demo@sha256:0123'), undefined)
  assert.match(imageProblem('kind-registry:5000/demo')!, /no tag/)
  assert.match(imageProblem('nginx:latest')!, /:latest/)
})

test('names, labels and Flux durations', () => {
  const bad = objectFindings({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'my.svc', namespace: 'Team', labels: { 'app/x/y': 'v', ok: 'not ok!' } } })
  assert.equal(bad.map((f) => `${f.rule} ${f.field}`).sort(), [
    'names/dns-1123 metadata.name',
    'names/dns-1123 metadata.namespace',
    'names/label metadata.labels["app/x/y"]',
    'names/label metadata.labels["ok"]',
  ])
  assert.equal(objectFindings({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'my.config', labels: { 'app.kubernetes.io/name': 'demo' } } }), [])
  assert.is(qualifiedNameProblem('example.com/name'), undefined)
  assert.equal(objectFindings({ apiVersion: 'helm.toolkit.fluxcd.io/v2beta1', kind: 'HelmRelease', metadata: {}, spec: { interval: '5m' } }).map((f) => `${f.rule} ${f.field}`), [
    'flux/deprecated-api apiVersion',
    'names/missing metadata.name',
  ])
  const flux = objectFindings({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'k' }, spec: { interval: '10 minutes', timeout: '5m', retryInterval: 30 } })
  assert.equal(flux.map((f) => f.field), ['spec.interval', 'spec.retryInterval'])
  const hr = objectFindings({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'h' }, spec: { interval: '1h30m', values: { interval: 'whatever the chart wants' }, install: { timeout: '1.5h' } } })
  assert.equal(hr, [])
  assert.ok(isFluxDuration('500ms') && !isFluxDuration('5 m') && !isFluxDuration(''))
  assert.is(parseGoDuration('1h30m'), 5_400_000)
  assert.is(parseGoDuration('1.5s'), 1500)
  const ports = objectFindings({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'Web', ports: [{ name: 'http-metrics-port-1', containerPort: 1 }] }] } } } })
  assert.equal(ports.map((f) => f.field), ['spec.template.spec.containers[0].name', 'spec.template.spec.containers[0].ports[0].name'])
})

test('schema: models validate types and map errors to field paths; unknown kinds have no model', async () => {
  assert.is(pointerToField('/spec/template/spec/containers/0/image'), 'spec.template.spec.containers[0].image')
  const dep = await loadModel('apps/v1', 'Deployment')
  assert.ok(dep)
  const d = goodDeployment()
  d.spec.replicas = 'two'
  assert.equal(dep!.validate(d), [{ field: 'spec.replicas', message: 'must be integer' }])
  const hr = await loadModel('helm.toolkit.fluxcd.io/v2', 'HelmRelease')
  assert.ok(hr && hr.dts && fs.existsSync(hr.dts))
  assert.is(await loadModel('example.com/v1', 'Widget'), undefined)
  assert.is(await loadModel('apps/v1', '../../etc'), undefined)
})

test('unknown fields: typos are found at any depth, free-form values are not', async () => {
  const dep = (await loadModel('apps/v1', 'Deployment'))!
  const hr = (await loadModel('helm.toolkit.fluxcd.io/v2', 'HelmRelease'))!
  const checker = await createFieldChecker([{ dts: dep.dts!, kind: 'Deployment' }, { dts: hr.dts!, kind: 'HelmRelease' }], { cacheFile: false })
  assert.ok(checker, 'typescript is installed (devDependency)')
  const d = goodDeployment()
  d.spce = {}
  container(d).readinesProbe = {}
  assert.equal(checker!.check(d, dep.dts!, 'Deployment').map((u) => `${u.field}: ${u.message}`), [
    `${C0}.readinesProbe: unknown field "readinesProbe" (did you mean "readinessProbe"?)`,
    'spce: unknown field "spce" (did you mean "spec"?)',
  ])
  assert.equal(checker!.check(goodDeployment(), dep.dts!, 'Deployment'), [])
  const release = { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'h', labels: { any: 'x' } }, spec: { interval: '1m', values: { anything: { at: ['all'] } }, chart: { spec: { chart: 'c', versoin: '1.0.0', sourceRef: { kind: 'HelmRepository', name: 'r' } } } } }
  assert.equal(checker!.check(release, hr.dts!, 'HelmRelease').map((u) => u.field), ['spec.chart.spec.versoin'])
  assert.is(suggest('zzzz', ['spec']), '')
})

test('the unknown-field graph is built once from the declarations, then read from its cache; a corrupt or stale cache is rebuilt', async () => {
  const dir = tempDir('field-cache-')
  try {
    const dep = (await loadModel('apps/v1', 'Deployment'))!
    const svc = (await loadModel('v1', 'Service'))!
    const depRoot = { dts: dep.dts!, kind: 'Deployment' }
    const svcRoot = { dts: svc.dts!, kind: 'Service' }
    const cacheFile = path.join(dir, 'graph.json')
    const built = (await createFieldChecker([depRoot, svcRoot], { cacheFile }))!
    assert.is(built.source, 'typescript')
    assert.ok(fs.existsSync(cacheFile))
    const read = (await createFieldChecker([depRoot], { cacheFile }))!
    assert.is(read.source, 'cache', 'a subset of what is cached needs no TypeScript')
    const d = goodDeployment()
    d.spce = {}
    container(d).readinesProbe = {}
    assert.equal(read.check(d, dep.dts!, 'Deployment'), built.check(d, dep.dts!, 'Deployment'))
    assert.equal(read.check(d, dep.dts!, 'Deployment').map((u) => u.field), [`${C0}.readinesProbe`, 'spce'])
    // not JSON: rebuilt and rewritten
    const corrupt = path.join(dir, 'corrupt.json')
    fs.writeFileSync(corrupt, '{"format":1,')
    assert.is((await createFieldChecker([svcRoot], { cacheFile: corrupt }))!.source, 'typescript')
    assert.is(JSON.parse(fs.readFileSync(corrupt, 'utf8')).format, 1)
    // read from another version of a package (an upgrade since): not trusted
    const stale = path.join(dir, 'stale.json')
    const data = JSON.parse(fs.readFileSync(cacheFile, 'utf8'))
    const pkg = Object.keys(data.packages).find((k) => k.endsWith(`${path.sep}kubernetes-models`))!
    assert.ok(pkg, Object.keys(data.packages).join(' '))
    data.packages[pkg] = '0.0.0-before-the-upgrade'
    fs.writeFileSync(stale, JSON.stringify(data))
    assert.is((await createFieldChecker([svcRoot], { cacheFile: stale }))!.source, 'typescript')
  } finally {
    removeDir(dir)
  }
})

test('CRDs in the repository make their kinds checkable', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget' },
      versions: [{ name: 'v1', served: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', required: ['size'], properties: { size: { type: 'integer', minimum: 1 }, mode: { type: 'string', enum: ['a', 'b'] }, extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } } } }],
    },
  }
  const schema = indexCrds([crd]).get(crdKey('example.com/v1', 'Widget'))!
  assert.ok(schema)
  assert.equal(validateAgainstCrd({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 2, extra: { free: 1 } } }, schema), [])
  assert.equal(validateAgainstCrd({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 0, mode: 'c', szie: 1 } }, schema).map((e) => `${e.field}: ${e.message}`), [
    'spec.size: must be >= 1',
    'spec.mode: must be one of "a", "b"',
    'spec.szie: unknown field "szie"',
  ])
  assert.equal(validateAgainstCrd({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: {} }, schema), [{ field: 'spec.size', message: 'is required' }])
})

test('kind cluster configs are read strictly, like kind does', () => {
  const good = { kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4', name: 'platform', nodes: [{ role: 'control-plane', labels: { 'ingress-ready': 'true' }, extraPortMappings: [{ containerPort: 80, hostPort: 8080, listenAddress: '127.0.0.1', protocol: 'TCP' }] }, { role: 'worker' }] }
  assert.equal(kindConfigFindings(good), [])
  const bad = structuredClone(good) as any
  bad.nodes[1].role = 'master'
  bad.nodes[1].extraPortMappings = [{ containerPort: 80, hostPort: 8080, listenAddress: '127.0.0.1' }]
  bad.nodes[0].lables = {}
  bad.networking = { apiServerAddress: 'localhost' }
  assert.equal(kindConfigFindings(bad).map((f) => `${f.rule} ${f.field}`).sort(), [
    'kind/ports nodes[1].extraPortMappings[0].hostPort',
    'kind/schema networking.apiServerAddress',
    'kind/schema nodes[0].lables',
    'kind/schema nodes[1].role',
  ])
  assert.equal(kindConfigFindings({ ...good, nodes: [{ role: 'worker' }] }).map((f) => f.rule), ['kind/nodes'])
  assert.equal(kindConfigFindings({ ...good, apiVersion: 'kind.x-k8s.io/v1alpha3' }).map((f) => f.field), ['apiVersion'])
})

const so = (doc: Record<string, any>, file = '/repo/x.yaml'): SourcedObject => ({ doc, file, patchedBy: [], build: '/repo' })

test('references: Flux paths, dependsOn, sources, chart pins, values ConfigMaps, routes, workload refs, namespaces', () => {
  const root = tempDir('refs-')
  try {
    fs.mkdirSync(path.join(root, 'apps', 'dev'), { recursive: true })
    const ks = (name: string, extra: Record<string, unknown>) => so({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name, namespace: 'flux-system' }, spec: { interval: '1m', prune: true, sourceRef: { kind: 'OCIRepository', name: 'platform' }, ...extra } })
    const objects: SourcedObject[] = [
      so({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name: 'platform', namespace: 'flux-system' }, spec: { url: 'oci://r/p', ref: { tag: 'local' } } }),
      ks('good', { path: './apps/dev' }),
      ks('bad-path', { path: './apps/nope' }),
      ks('bad-dep', { path: './apps/dev', dependsOn: [{ name: 'ghost' }] }),
      ks('bad-src', { path: './apps/dev', sourceRef: { kind: 'GitRepository', name: 'elsewhere' } }),
      ks('git-bootstrap', { path: './apps/dev', sourceRef: { kind: 'GitRepository', name: 'flux-system' } }),
      ks('cycle-a', { path: './apps/dev', dependsOn: [{ name: 'cycle-b' }] }),
      ks('cycle-b', { path: './apps/dev', dependsOn: [{ name: 'cycle-a' }] }),
      so({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { gateway: 'yes' } } }),
      so({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts', namespace: 'team' }, spec: { url: 'https://c' } }),
      so({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name: 'floating', namespace: 'team' }, spec: { url: 'oci://c/x', ref: { semver: '>=1.0.0' } } }),
      so({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'vals', namespace: 'team' }, data: { 'values.yaml': 'a: 1' } }),
      so({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'listvals', namespace: 'team' }, data: { 'values.yaml': '- a\n- b\n' } }),
      so({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'lister', namespace: 'team' }, spec: { interval: '1m', chart: { spec: { chart: 'c', version: '1.2.3', sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, valuesFrom: [{ kind: 'ConfigMap', name: 'listvals' }] } }),
      so({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'ok', namespace: 'team' }, spec: { interval: '1m', chart: { spec: { chart: 'c', version: '1.2.3', sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, valuesFrom: [{ kind: 'ConfigMap', name: 'vals' }] } }),
      so({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'broken', namespace: 'team' }, spec: { interval: '1m', chart: { spec: { chart: 'c', version: '1.x', sourceRef: { kind: 'HelmRepository', name: 'missing' } } }, valuesFrom: [{ kind: 'ConfigMap', name: 'nope' }, { kind: 'ConfigMap', name: 'vals', valuesKey: 'other.yaml' }, { kind: 'Secret', name: 'maybe', optional: true }], dependsOn: [{ name: 'ghost' }] } }),
      so({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'float', namespace: 'team' }, spec: { interval: '1m', chartRef: { kind: 'OCIRepository', name: 'floating' } } }),
      so({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'gc' }, spec: { controllerName: 'x/y' } }),
      so({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'team' }, spec: { gatewayClassName: 'gc', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: '*.localhost', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { gateway: 'yes' } } } } }] } }),
      so({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw2', namespace: 'team' }, spec: { gatewayClassName: 'nope', listeners: [] } }),
      so({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'apps' }, spec: { parentRefs: [{ name: 'gw', namespace: 'team', sectionName: 'http' }, { name: 'gw', namespace: 'team', sectionName: 'https' }, { name: 'none', namespace: 'team' }], hostnames: ['a.localhost'], rules: [{ backendRefs: [{ name: 'svc', port: 81 }, { name: 'ghost', port: 80 }] }] } }),
      so({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } }),
      so({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'apps' }, spec: { ports: [{ port: 80 }] } }),
      so({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'apps' }, spec: { template: { spec: { serviceAccountName: 'sa', containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'cfg' } }], env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'Y', valueFrom: { secretKeyRef: { name: 'o', key: 'k', optional: true } } }] }] } } } }),
      so({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'apps' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'other' } } }),
      so({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orphan', namespace: 'nowhere' } }),
    ]
    const found = referenceFindings(objects, root).map((f) => `${f.object.doc.metadata.name} ${f.rule} ${f.field}`).sort()
    assert.equal(found, [
      'bad-dep ref/flux-depends-on spec.dependsOn[0].name',
      'bad-path ref/flux-path spec.path',
      'bad-src ref/flux-source spec.sourceRef',
      'broken flux/pinned-chart spec.chart.spec.version',
      'broken ref/helm-depends-on spec.dependsOn[0].name',
      'broken ref/helm-source spec.chart.spec.sourceRef',
      'broken ref/helm-values spec.valuesFrom[0].name',
      'broken ref/helm-values spec.valuesFrom[1].valuesKey',
      'cycle-a ref/flux-depends-on spec.dependsOn',
      'cycle-b ref/flux-depends-on spec.dependsOn',
      'd ref/workload spec.template.spec.containers[0].envFrom[0].configMapRef.name',
      'd ref/workload spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name',
      'd ref/workload spec.template.spec.serviceAccountName',
      'floating flux/pinned-chart spec.ref.semver',
      'gw2 ref/gateway spec.gatewayClassName',
      'h ref/workload spec.scaleTargetRef',
      'listvals ref/helm-values data["values.yaml"]',
      'orphan ref/namespace metadata.namespace',
      'r ref/backend spec.rules[0].backendRefs[0].port',
      'r ref/backend spec.rules[0].backendRefs[1]',
      'r ref/gateway spec.parentRefs[0]',
      'r ref/gateway spec.parentRefs[1].sectionName',
      'r ref/gateway spec.parentRefs[2]',
    ])
  } finally {
    removeDir(root)
  }
})

test('gateway hostname matching follows Gateway API wildcard rules', () => {
  assert.ok(hostnameMatches('*.localhost', 'grafana.localhost'))
  assert.ok(hostnameMatches('*.localhost', 'dev.demo.localhost'))
  assert.ok(!hostnameMatches('*.localhost', 'localhost'))
  assert.ok(!hostnameMatches('*.localhost', 'grafana.example.com'))
  assert.ok(hostnameMatches(undefined, 'anything.example'))
})

test('kustomization files: every named path is checked with the field that names it', () => {
  const dir = tempDir('kfile-')
  try {
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources: [a.yaml, missing.yaml, sub, https://github.com/x/y//z?ref=v1]\npatches:\n  - path: patch.yaml\nconfigMapGenerator:\n  - name: v\n    files: [values.yaml=vals/values.yaml]\ncomponents: [comp]\n')
    fs.writeFileSync(path.join(dir, 'a.yaml'), '')
    fs.mkdirSync(path.join(dir, 'sub'))
    fs.mkdirSync(path.join(dir, 'comp'))
    fs.writeFileSync(path.join(dir, 'comp', 'kustomization.yaml'), 'kind: Component\n')
    const k = readKustomization(dir)!
    const refs = kustomizationRefs(k)
    assert.equal(refs.map((r) => r.field), ['resources[0]', 'resources[1]', 'resources[2]', 'components[0]', 'patches[0].path', 'configMapGenerator[0].files[0]'])
    assert.equal(checkRefs(refs).map((p) => `${p.ref.field}: ${p.message}`), [
      'resources[1]: missing.yaml: no such file or directory',
      'resources[2]: sub: directory has no kustomization.yaml',
      'patches[0].path: patch.yaml: no such file or directory',
      'configMapGenerator[0].files[0]: vals/values.yaml: no such file or directory',
    ])
  } finally {
    removeDir(dir)
  }
})

test('origin annotations map rendered objects back to files and patches, then disappear', () => {
  const base = '/tmp/wrap'
  assert.match(originWrapper('/tmp/wrap', '/work/repo/apps/overlays/dev'), /resources:\n\s+- \.\.\/\.\.\/work\/repo\/apps\/overlays\/dev/)
  const doc: Record<string, any> = {
    kind: 'Deployment',
    metadata: {
      name: 'demo',
      annotations: {
        'config.kubernetes.io/origin': 'path: ../repo/apps/base/deployment.yaml\n',
        'alpha.config.kubernetes.io/transformations': '- configuredIn: ../repo/apps/overlays/dev/kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: PatchTransformer\n- configuredIn: ../repo/apps/overlays/dev/kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: NamespaceTransformer\n',
      },
    },
  }
  assert.equal(takeOrigin(doc, base, '/fallback'), { file: '/tmp/repo/apps/base/deployment.yaml', patchedBy: ['/tmp/repo/apps/overlays/dev/kustomization.yaml'] })
  assert.is(doc.metadata.annotations, undefined)
  const generated = { kind: 'ConfigMap', metadata: { name: 'v', annotations: { 'config.kubernetes.io/origin': 'configuredIn: ../repo/infra/kustomization.yaml\nconfiguredBy:\n  kind: ConfigMapGenerator\n', keep: 'me' } } }
  assert.equal(takeOrigin(generated, base, '/fallback').file, '/tmp/repo/infra/kustomization.yaml')
  assert.equal(generated.metadata.annotations, { keep: 'me' })
})

test('report: one line per problem; the same base problem in three namespaces is grouped for people', () => {
  const p = (ns: string) => ({ severity: 'error' as const, rule: 'policy/probes', file: 'apps/base/deployment.yaml', object: { kind: 'Deployment', namespace: ns, name: 'demo' }, field: 'spec.x', message: 'needs a readinessProbe', patchedBy: [`apps/overlays/${ns}/kustomization.yaml`] })
  assert.is(problemLine(p('dev')), 'apps/base/deployment.yaml: Deployment dev/demo spec.x: needs a readinessProbe [policy/probes] (patched by apps/overlays/dev/kustomization.yaml)')
  const g = groupAcrossNamespaces([p('dev'), p('staging'), p('production')])
  assert.is(g.length, 1)
  assert.equal(g[0]!.namespaces, ['dev', 'staging', 'production'])
  const text = renderHuman({ root: '/r', problems: [p('demo-dev'), p('demo-staging'), { severity: 'warning', rule: 'flux/unreferenced', file: 'apps/extra/kustomization.yaml', message: 'never deployed' }], skipped: [], counts: { yamlFiles: 9, kustomizations: 3, builds: 3, buildsFailed: 0, objects: 12, standaloneObjects: 0, kindConfigs: 1, errors: 2, warnings: 1 }, unknownFieldCheck: true, elapsedMs: 1234 }, false)
  assert.is(text, [
    'apps/base/deployment.yaml',
    '  ✖ Deployment demo (in demo-dev, demo-staging) spec.x: needs a readinessProbe [policy/probes] (patched by apps/overlays/demo-dev/kustomization.yaml and 1 more)',
    'apps/extra/kustomization.yaml',
    '  ⚠ never deployed [flux/unreferenced]',
    '',
    'validate: INVALID: 2 errors, 1 warning — 3 kustomization builds, 12 objects, 1 kind config, 9 YAML files (0 skipped: not applied to the cluster) — in 1.2s',
    '',
  ].join('\n'))
  assert.match(summarizeBuildError('E1121 00:52:40.681256    5996 run.go:72] "command failed" err="accumulating resources: missing.yaml: no such file"\n'), /^accumulating resources: missing\.yaml/)
})

test.run()
