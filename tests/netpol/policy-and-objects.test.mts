import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parse } from 'yaml'
import { InvalidInput } from '../../scripts/lib/netpol/labels.mts'
import { parseNetworkPolicy } from '../../scripts/lib/netpol/policy.mts'
import { buildCluster, InputProblem } from '../../scripts/lib/netpol/objects.mts'
import { computeExpectation } from '../../scripts/lib/netpol/targets.mts'

const pol = (text: string) => parseNetworkPolicy(parse(text) as Record<string, unknown>)

test('policyTypes defaulting as the API server does it', () => {
  const none = pol('metadata: {name: p}\nspec: {podSelector: {}}')
  assert.equal(none.ingress, [])
  assert.is(none.egress, undefined)
  assert.is(none.namespace, 'default')
  const egressRules = pol('metadata: {name: p}\nspec: {egress: [{}]}')
  assert.equal(egressRules.ingress, [], 'Ingress is always defaulted in')
  assert.equal(egressRules.egress?.length, 1)
  const emptyEgress = pol('metadata: {name: p}\nspec: {egress: []}')
  assert.is(emptyEgress.egress, undefined)
  const explicit = pol('metadata: {name: p}\nspec: {policyTypes: [Egress], ingress: [{}]}')
  assert.is(explicit.ingress, undefined, 'rules of unlisted types are ignored')
  assert.equal(explicit.egress, [])
})

test('empty rule, bare list entry, absent from/ports all mean "everything"', () => {
  const p = pol('metadata: {name: p}\nspec:\n  ingress:\n  - {}\n  -\n  - from: []\n    ports: []')
  assert.equal(p.ingress, [
    { ports: [], peers: [] },
    { ports: [], peers: [] },
    { ports: [], peers: [] },
  ])
})

test('nil vs empty selectors in a peer are kept apart', () => {
  const p = pol('metadata: {name: p, namespace: x}\nspec:\n  ingress: [{from: [{podSelector: {}}, {namespaceSelector: {}}]}]')
  const [own, all] = p.ingress?.[0]?.peers ?? []
  assert.equal(own, { kind: 'selector', podSelector: { requirements: [] } })
  assert.equal(all, { kind: 'selector', namespaceSelector: { requirements: [] } })
})

test('validation mirrors the API server', () => {
  const bad = (spec: string, field: RegExp, message?: RegExp) => {
    try {
      pol(`metadata: {name: p}\nspec: ${spec}`)
      assert.unreachable(`accepted: ${spec}`)
    } catch (e) {
      assert.instance(e, InvalidInput, String(e))
      assert.match((e as InvalidInput).field, field)
      if (message) assert.match((e as Error).message, message)
    }
  }
  bad('{ingress: [{from: [{}]}]}', /from\[0\]/)
  bad('{ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}', /from\[0\]/)
  bad('{ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/24]}}]}]}', /except\[0\]/, /strict subset/)
  bad('{ingress: [{from: [{ipBlock: {cidr: nope}}]}]}', /cidr/)
  bad('{ingress: [{ports: [{port: http, endPort: 90}]}]}', /endPort/)
  bad('{ingress: [{ports: [{port: 90, endPort: 80}]}]}', /endPort/)
  bad('{ingress: [{ports: [{port: "80"}]}]}', /port/, /quoted number/)
  bad('{ingress: [{ports: [{protocol: ICMP}]}]}', /protocol/)
  bad('{policyTypes: [Inbound]}', /policyTypes\[0\]/)
})

const docs = (text: string) => text.split('\n---\n').map((d, i) => ({ obj: parse(d) as unknown, source: `in.yaml#${i}` }))

test('namespaces: automatic name label, undeclared namespaces exist with only that label', () => {
  const { cluster } = buildCluster(
    docs(`apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {team: red, kubernetes.io/metadata.name: spoofed}}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: b}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: n, namespace: c}
spec: {}`),
  )
  assert.equal(cluster.namespaces.get('a')?.labels, { team: 'red', 'kubernetes.io/metadata.name': 'a' })
  assert.equal(cluster.namespaces.get('b')?.labels, { 'kubernetes.io/metadata.name': 'b' })
  assert.ok(cluster.namespaces.get('c')?.implicit)
})

test('workloads expand into one representative pod with template labels and ports; Lists flatten', () => {
  const { cluster, warnings } = buildCluster(
    docs(`apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: demo, namespace: demo-dev}
  spec:
    template:
      metadata: {labels: {app.kubernetes.io/name: demo}}
      spec:
        containers: [{name: app, ports: [{containerPort: 8000, name: http}]}]
        initContainers: [{name: proxy, restartPolicy: Always, ports: [{containerPort: 9000, name: proxy}]}, {name: init, ports: [{containerPort: 1}]}]
- apiVersion: batch/v1
  kind: CronJob
  metadata: {name: backup, namespace: demo-dev}
  spec: {jobTemplate: {spec: {template: {metadata: {labels: {job: backup}}, spec: {containers: [{name: c}]}}}}}
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: agent, namespace: kube-system}
  spec: {template: {spec: {hostNetwork: true, containers: [{name: c}]}}}
---
apiVersion: v1
kind: Pod
metadata: {name: demo, namespace: demo-dev}
---
apiVersion: v1
kind: Pod
metadata: {name: hostnet, namespace: demo-dev}
spec: {hostNetwork: true}`),
  )
  const names = cluster.pods.map((p) => `${p.namespace}/${p.name}`).sort()
  assert.equal(names, ['demo-dev/backup', 'demo-dev/demo', 'demo-dev/demo-deployment'])
  const demo = cluster.pods.find((p) => p.name === 'demo-deployment')
  assert.equal(demo?.labels, { 'app.kubernetes.io/name': 'demo' })
  assert.equal(demo?.ports.map((p) => `${p.name}:${p.port}/${p.protocol}`), ['http:8000/TCP', 'proxy:9000/TCP'])
  assert.ok(warnings.some((w) => w.includes('demo-dev/demo-deployment')))
})

test('input problems name the source file, the object and the field', () => {
  try {
    buildCluster(docs('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: x}\nspec: {ingress: [{ports: [{port: 0}]}]}'))
    assert.unreachable()
  } catch (e) {
    assert.instance(e, InputProblem)
    assert.match((e as Error).message, /in\.yaml#0: NetworkPolicy x\/bad spec\.ingress\[0\]\.ports\[0\]\.port: must be 1-65535/)
  }
  assert.throws(() => buildCluster(docs('kind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: a}')), /duplicate Pod default\/a/)
})

test('finished pods are skipped; pods with status.podIPs are matched by ipBlock on every IP', () => {
  const { cluster } = buildCluster(
    docs(`kind: Pod
metadata: {name: done}
status: {phase: Succeeded}
---
kind: Pod
metadata: {name: dual, labels: {app: d}}
spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}
status: {podIP: 10.0.0.5, podIPs: [{ip: 10.0.0.5}, {ip: "fd00::5"}]}
---
kind: Pod
metadata: {name: client}
spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: v6-only}
spec:
  podSelector: {matchLabels: {app: d}}
  ingress: [{from: [{ipBlock: {cidr: "fd00::/64"}}]}]`),
  )
  assert.equal(cluster.pods.map((p) => p.name), ['dual', 'client'])
  assert.equal(cluster.pods[0]?.ips, ['10.0.0.5', 'fd00::5'])
  const { cells } = computeExpectation(cluster)
  // client has no IP, so the ipBlock cannot admit it; dual -> client is unrestricted
  assert.equal(cells.map((c) => `${c.from}>${c.to}:${c.allowed}`), ['default/dual>default/client:true', 'default/client>default/dual:false'])
})

test.run()
