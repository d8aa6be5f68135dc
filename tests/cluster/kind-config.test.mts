// The effective kind config derived from cluster/kind.yaml: worker count, labels, ports, node image.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { loadVersions } from '../../scripts/lib/shell/config.mts'
import { APP_NODE_LABEL, INGRESS_NODE_LABEL, nodeNames, readKindConfigBase, renderKindConfig } from '../../scripts/lib/cluster/kind-config.mts'
import { REPO } from '../helpers/fakes.mts'

const base = readKindConfigBase(REPO)
const input = { name: 'platform', workers: 2, nodeImage: 'kindest/node:v1.34.0@sha256:abc', httpPort: 8080, httpsPort: 8443 }
const parse = (text: string) => YAML.parse(text) as { name: string; nodes: { role: string; image: string; labels?: Record<string, string>; extraPortMappings?: Record<string, unknown>[] }[] }

test('cluster/kind.yaml as committed: 1 control-plane (ingress, 80/443 on 127.0.0.1) + 2 app workers', () => {
  const raw = parse(fs.readFileSync(path.join(REPO, 'cluster', 'kind.yaml'), 'utf8'))
  assert.equal(raw.nodes.map((n) => n.role), ['control-plane', 'worker', 'worker'])
  const cp = raw.nodes[0]!
  assert.is(cp.labels?.[INGRESS_NODE_LABEL], 'true')
  assert.equal(cp.extraPortMappings?.map((m) => [m.containerPort, m.hostPort, m.listenAddress]), [[80, 8080, '127.0.0.1'], [443, 8443, '127.0.0.1']])
  for (const w of raw.nodes.slice(1)) assert.is(w.labels?.[APP_NODE_LABEL], 'true')
  // the demo Deployment requires exactly this label
  assert.match(fs.readFileSync(path.join(REPO, 'apps', 'base', 'deployment.yaml'), 'utf8'), APP_NODE_LABEL)
})

test('worker count follows WORKERS: the last worker is repeated (labels kept, no port mappings) or dropped', () => {
  for (const workers of [1, 2, 5]) {
    const eff = parse(renderKindConfig(base, { ...input, workers }).text)
    const ws = eff.nodes.filter((n) => n.role === 'worker')
    assert.is(ws.length, workers)
    for (const w of ws) {
      assert.is(w.labels?.[APP_NODE_LABEL], 'true')
      assert.is(w.extraPortMappings, undefined)
    }
    assert.is(eff.nodes.filter((n) => n.role === 'control-plane').length, 1)
  }
})

test('host ports, node image and name are set; the file stays readable YAML with its comments', () => {
  const eff = renderKindConfig(base, { ...input, name: 'dev', httpPort: 18080, httpsPort: 18443 })
  const y = parse(eff.text)
  assert.is(y.name, 'dev')
  const cp = y.nodes.find((n) => n.role === 'control-plane')!
  assert.equal(cp.extraPortMappings, [
    { containerPort: 80, hostPort: 18080, listenAddress: '127.0.0.1', protocol: 'TCP' },
    { containerPort: 443, hostPort: 18443, listenAddress: '127.0.0.1', protocol: 'TCP' },
  ])
  assert.ok(y.nodes.every((n) => n.image === input.nodeImage))
  assert.match(eff.text, '# Workers run the apps')
  assert.match(eff.text, 'Do not edit')
  assert.equal(eff.nodes.map((n) => n.role), ['control-plane', 'worker', 'worker'])
})

test('the hash changes with what matters and not with comments', () => {
  const a = renderKindConfig(base, input).hash
  assert.is(renderKindConfig(`# another comment\n${base}`, input).hash, a)
  assert.is.not(renderKindConfig(base, { ...input, workers: 3 }).hash, a)
  assert.is.not(renderKindConfig(base, { ...input, httpPort: 9000 }).hash, a)
  assert.is.not(renderKindConfig(base.replace('ingress-ready: "true"', 'ingress-ready: "true"\n      zone: a'), input).hash, a)
})

test('a minimal config gets the ingress label and mappings on the control-plane; mappings are added, not duplicated', () => {
  const minimal = 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  extraPortMappings:\n  - containerPort: 80\n    hostPort: 80\n'
  const y = parse(renderKindConfig(minimal, { ...input, workers: 1 }).text)
  const cp = y.nodes[0]!
  assert.is(cp.labels?.[INGRESS_NODE_LABEL], 'true')
  assert.equal(cp.extraPortMappings?.map((m) => m.hostPort), [8080, 8443])
  assert.equal(y.nodes[1], { role: 'worker', labels: { [APP_NODE_LABEL]: 'true' }, image: input.nodeImage })
})

test('invalid configs fail naming the file', () => {
  const cases: [string, string][] = [
    ['kind: Pod\napiVersion: v1\n', 'expected kind: Cluster'],
    ['kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: worker\n', 'exactly one control-plane'],
    ['kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n- role: master\n', 'unknown node role'],
    ['kind: Cluster\n  bad: [', 'not valid YAML'],
  ]
  for (const [text, message] of cases) {
    assert.throws(() => renderKindConfig(text, input), (e: Error) => e.message.includes('cluster/kind.yaml') && e.message.includes(message))
  }
})

test('node names follow kind: <name>-control-plane, <name>-worker, <name>-worker2', () => {
  assert.equal(nodeNames('p', [{ role: 'control-plane' }, { role: 'worker' }, { role: 'worker' }, { role: 'worker' }]), ['p-control-plane', 'p-worker', 'p-worker2', 'p-worker3'])
})

test('the pinned node image is the one kind v0.30.0 was released with', () => {
  const v = loadVersions(REPO)
  assert.is(v.kind.version, 'v0.30.0')
  assert.is(v.kind.nodeImage, 'kindest/node:v1.34.0@sha256:7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a')
})

test.run()
