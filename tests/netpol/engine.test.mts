// Engine semantics over the upstream-e2e x/y/z x a/b/c topology (ports 80, 81 on TCP and UDP).
// Every expectation is derived by hand from the Kubernetes API docs, stated as Reach rules.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parse } from 'yaml'
import { compute, Reach } from './topology.mts'

/** A NetworkPolicy from YAML, so each case shows exactly the manifest under test. */
const np = (text: string): unknown => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...(parse(text) as object) })

function check(policies: unknown[], want: Reach, extra: unknown[] = []) {
  const diff = want.diff(compute(policies, extra))
  assert.equal(diff, [], diff.slice(0, 12).join('\n'))
}

test('no policies: everything allowed, one cell per ordered pair and declared port', () => {
  const cells = compute([])
  assert.is(cells.length, 9 * 8 * 4)
  check([], new Reach(true))
})

test('podSelector {} with no rules and no policyTypes = default-deny ingress for its namespace only', () => {
  const p = np(`
metadata: {namespace: x, name: deny-ingress}
spec: {podSelector: {}}`)
  check([p], new Reach(true).set({ to: 'x/*' }, false))
})

test('policyTypes omitted + only egress rules: Ingress is defaulted too, so all ingress is denied', () => {
  const p = np(`
metadata: {namespace: x, name: egress-only-rules}
spec:
  podSelector: {matchLabels: {pod: a}}
  egress: [{}]`)
  check([p], new Reach(true).set({ to: 'x/a' }, false))
})

test('policyTypes omitted + egress: [] does not add Egress: x/a can still send', () => {
  const p = np(`
metadata: {namespace: x, name: empty-egress}
spec:
  podSelector: {matchLabels: {pod: a}}
  egress: []`)
  check([p], new Reach(true).set({ to: 'x/a' }, false))
})

test('explicit policyTypes [Egress]: ingress rules in the same policy are ignored', () => {
  const p = np(`
metadata: {namespace: x, name: egress-typed}
spec:
  podSelector: {}
  policyTypes: [Egress]
  ingress: [{from: [{podSelector: {matchLabels: {pod: nobody}}}]}]`)
  check([p], new Reach(true).set({ from: 'x/*' }, false))
})

test('default deny all (Ingress + Egress) isolates both directions', () => {
  const p = np(`
metadata: {namespace: x, name: deny-all}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`)
  check([p], new Reach(true).set({ from: 'x/*' }, false).set({ to: 'x/*' }, false))
})

test('ingress: [{}] allows everything; union with a deny-all on the same pods', () => {
  const deny = np(`
metadata: {namespace: x, name: deny}
spec: {podSelector: {}}`)
  const allow = np(`
metadata: {namespace: x, name: allow-all}
spec: {podSelector: {matchLabels: {pod: a}}, ingress: [{}]}`)
  check([deny, allow], new Reach(true).set({ to: 'x/b' }, false).set({ to: 'x/c' }, false))
})

test('peer with podSelector only = pods of the policy namespace', () => {
  const p = np(`
metadata: {namespace: x, name: from-b}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]`)
  check([p], new Reach(true).set({ to: 'x/a' }, false).set({ from: 'x/b', to: 'x/a' }, true))
})

test('peer with namespaceSelector only = every pod of matching namespaces', () => {
  const p = np(`
metadata: {namespace: x, name: from-y}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]`)
  check([p], new Reach(true).set({ to: 'x/a' }, false).set({ from: 'y/*', to: 'x/a' }, true))
})

test('namespaceSelector AND podSelector in ONE peer (upstream: ns NotIn [x] + pod=b)', () => {
  const p = np(`
metadata: {namespace: x, name: and}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}
      podSelector: {matchLabels: {pod: b}}`)
  check([p], new Reach(true).set({ to: 'x/a' }, false).set({ from: 'y/b', to: 'x/a' }, true).set({ from: 'z/b', to: 'x/a' }, true))
})

test('namespaceSelector OR podSelector as TWO peers: x/c stays denied', () => {
  const p = np(`
metadata: {namespace: x, name: or}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}
    - podSelector: {matchLabels: {pod: b}}`)
  check([p], new Reach(true).set({ to: 'x/a' }, false).set({ from: 'y/*', to: 'x/a' }, true).set({ from: 'z/*', to: 'x/a' }, true).set({ from: 'x/b', to: 'x/a' }, true))
})

test('namespaceSelector {} + podSelector {} = every pod in the cluster', () => {
  const deny = np(`
metadata: {namespace: x, name: deny}
spec: {podSelector: {}}`)
  const p = np(`
metadata: {namespace: x, name: all-pods}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {}, podSelector: {}}]}]`)
  check([deny, p], new Reach(true).set({ to: 'x/b' }, false).set({ to: 'x/c' }, false))
})

test('matchExpressions In selects listed values only', () => {
  const p = np(`
metadata: {namespace: x, name: in}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}}]}]`)
  check([p], new Reach(true).set({ to: 'x/a' }, false).set({ from: 'x/b', to: 'x/a' }, true).set({ from: 'x/c', to: 'x/a' }, true))
})

test('NotIn matches pods that LACK the key (apimachinery), so every x pod is selected', () => {
  const p = np(`
metadata: {namespace: x, name: notin-absent}
spec:
  podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [db]}]}`)
  check([p], new Reach(true).set({ to: 'x/*' }, false))
})

test('DoesNotExist matches when the key is absent; Exists when present', () => {
  const absentKey = np(`
metadata: {namespace: x, name: dne}
spec:
  podSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}]}
  ingress: [{from: [{podSelector: {matchExpressions: [{key: pod, operator: Exists}]}}]}]`)
  // every x pod is isolated; peers = every pod of x (all have label pod) but not other namespaces
  check([absentKey], new Reach(true).set({ to: 'x/*' }, false).set({ from: 'x/*', to: 'x/*' }, true))
  const presentKey = np(`
metadata: {namespace: x, name: dne-present}
spec:
  podSelector: {matchExpressions: [{key: pod, operator: DoesNotExist}]}`)
  check([presentKey], new Reach(true))
})

test('matchLabels {key: ""} still requires the key: selects nothing here', () => {
  const p = np(`
metadata: {namespace: x, name: empty-value}
spec:
  podSelector: {matchLabels: {tier: ""}}`)
  check([p], new Reach(true))
})

test('namespaces are selectable by the automatic kubernetes.io/metadata.name label (egress NotIn [y])', () => {
  const p = np(`
metadata: {namespace: x, name: not-to-y}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [y]}]}}]}]`)
  check([p], new Reach(true).set({ from: 'x/a', to: 'y/*' }, false))
})

test('spec.podSelector absent = every pod of the namespace (like {})', () => {
  const p = np(`
metadata: {namespace: y, name: no-pod-selector}
spec: {policyTypes: [Ingress]}`)
  check([p], new Reach(true).set({ to: 'y/*' }, false))
})

test('an SCTP-only allow still isolates: TCP and UDP stay denied (upstream: do not treat SCTP as TCP)', () => {
  const p = np(`
metadata: {namespace: x, name: sctp-only}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{protocol: SCTP, port: 81}]}]`)
  check([p], new Reach(true).set({ to: 'x/a' }, false))
})

test('numeric port without protocol defaults to TCP: only 81/TCP opens', () => {
  const p = np(`
metadata: {namespace: x, name: port-81}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{port: 81}]}]`)
  check([p], new Reach(true).set({ to: 'x/a' }, false).set({ to: 'x/a', port: 81, protocol: 'TCP' }, true))
})

test('protocol without port opens every port of that protocol only (UDP does not open TCP)', () => {
  const p = np(`
metadata: {namespace: x, name: udp-only}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{protocol: UDP}]}]`)
  check([p], new Reach(true).set({ to: 'x/a' }, false).set({ to: 'x/a', protocol: 'UDP' }, true))
})

test('named port resolves on the destination by name: serve-81-tcp opens 81/TCP only', () => {
  const p = np(`
metadata: {namespace: x, name: named}
spec:
  podSelector: {}
  ingress: [{ports: [{port: serve-81-tcp}]}]`)
  check([p], new Reach(true).set({ to: 'x/*' }, false).set({ to: 'x/*', port: 81, protocol: 'TCP' }, true))
})

test('named port with the wrong protocol matches nothing but still isolates', () => {
  const p = np(`
metadata: {namespace: x, name: named-wrong-proto}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{port: serve-81-tcp, protocol: UDP}]}]`)
  check([p], new Reach(true).set({ to: 'x/a' }, false))
})

test('egress on a named port resolves on the peer (destination), not on the source', () => {
  const p = np(`
metadata: {namespace: x, name: egress-named}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{ports: [{port: serve-80-udp, protocol: UDP}]}]`)
  check([p], new Reach(true).set({ from: 'x/*' }, false).set({ from: 'x/*', port: 80, protocol: 'UDP' }, true))
})

test('endPort is an inclusive range on its protocol', () => {
  const both = np(`
metadata: {namespace: x, name: range}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{port: 53, endPort: 80, protocol: TCP}, {port: 81, endPort: 81, protocol: UDP}]}]`)
  check([both], new Reach(true).set({ to: 'x/a' }, false).set({ to: 'x/a', port: 80, protocol: 'TCP' }, true).set({ to: 'x/a', port: 81, protocol: 'UDP' }, true))
})

test('union of policies: 81 from y, then 80 from y', () => {
  const p81 = np(`
metadata: {namespace: x, name: y-81}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}], ports: [{port: 81}]}]`)
  const p80 = np(`
metadata: {namespace: x, name: y-80}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}], ports: [{port: 80}]}]`)
  const base = () => new Reach(true).set({ to: 'x/a' }, false)
  check([p81], base().set({ from: 'y/*', to: 'x/a', port: 81, protocol: 'TCP' }, true))
  check([p81, p80], base().set({ from: 'y/*', to: 'x/a', protocol: 'TCP' }, true))
})

test('ipBlock matches pod IPs; except carves out; except is not a deny for other policies', () => {
  const toY_b = np(`
metadata: {namespace: x, name: cidr}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.2.2/32}}]}]`)
  check([toY_b], new Reach(true).set({ from: 'x/a' }, false).set({ from: 'x/a', to: 'y/b' }, true))

  const except = np(`
metadata: {namespace: x, name: except}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.1.2/32]}}]}]`)
  check([except], new Reach(true).set({ from: 'x/a', to: 'x/b' }, false))

  const reopen = np(`
metadata: {namespace: x, name: reopen}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.1.2/32}}]}]`)
  check([except, reopen], new Reach(true))
})

test('both the source egress and the destination ingress must allow (upstream: client-side egress deny)', () => {
  const egress = np(`
metadata: {namespace: x, name: a-to-y-a}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {pod: a}}}]}]`)
  const ingress = np(`
metadata: {namespace: y, name: only-from-x-a}
spec:
  podSelector: {matchExpressions: [{key: pod, operator: In, values: [a, b]}]}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: x}}, podSelector: {matchLabels: {pod: a}}}]}]`)
  check(
    [egress, ingress],
    new Reach(true)
      .set({ from: 'x/a' }, false)
      .set({ to: 'y/a' }, false)
      .set({ to: 'y/b' }, false)
      .set({ from: 'x/a', to: 'y/a' }, true),
  )
})

test('replies are not egress: ingress from b + egress TCP 80 only (upstream test 27)', () => {
  const p = np(`
metadata: {namespace: x, name: in-and-out}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
  egress: [{ports: [{port: 80, protocol: TCP}]}]`)
  check(
    [p],
    new Reach(true)
      .set({ to: 'x/a' }, false)
      .set({ from: 'x/b', to: 'x/a' }, true)
      .set({ from: 'x/a' }, false)
      .set({ from: 'x/a', port: 80, protocol: 'TCP' }, true),
  )
})

test('a policy only selects pods in its own namespace; a policy selecting no pod changes nothing', () => {
  const inY = np(`
metadata: {namespace: y, name: deny}
spec: {podSelector: {}}`)
  const none = np(`
metadata: {namespace: x, name: nobody}
spec: {podSelector: {matchLabels: {pod: nobody}}, policyTypes: [Ingress, Egress]}`)
  check([inY, none], new Reach(true).set({ to: 'y/*' }, false))
})

test('named ports resolve per destination pod: one name, different numbers', () => {
  const pod = (name: string, ports: [number, string][]) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'w', name, labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', ports: ports.map(([containerPort, n]) => ({ containerPort, name: n })) }] },
  })
  const extra = [pod('p1', [[80, 'http'], [81, 'other']]), pod('p2', [[80, 'other'], [81, 'http']])]
  const p = np(`
metadata: {namespace: x, name: egress-http}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: w}}}], ports: [{port: http}]}]`)
  const cells = compute([p], extra).filter((c) => c.from === 'x/a' && c.to.startsWith('w/'))
  const allowed = cells.filter((c) => c.allowed).map((c) => `${c.to}:${c.port}`)
  assert.equal(allowed.sort(), ['w/p1:80', 'w/p2:81'])
})

test('external targets: namespaceSelector {} does not match IPs; ipBlock with except does', () => {
  const ext = { externals: [{ kind: 'external' as const, host: '1.1.1.1', ip: '1.1.1.1', port: 443, protocol: 'TCP' as const }] }
  const allPods = np(`
metadata: {namespace: x, name: pods-only}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {}}]}]`)
  const internet = np(`
metadata: {namespace: y, name: internet-only}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]}]`)
  const cells = compute([allPods, internet], [], ext)
  const get = (from: string, to: string, port = 443) => cells.find((c) => c.from === from && c.to === to && c.port === port)?.allowed
  assert.is(get('x/a', '1.1.1.1'), false)
  assert.is(get('x/a', 'z/c', 80), true)
  assert.is(get('y/a', '1.1.1.1'), true)
  assert.is(get('y/a', 'z/c', 80), false)
  assert.is(get('z/a', '1.1.1.1'), true)
})

test('DNS target and DNS-named externals need egress to kube-dns on UDP 53', () => {
  const opts = { dns: true, externals: [{ kind: 'external' as const, host: 'example.com', port: 443, protocol: 'TCP' as const }] }
  const internetNoDns = np(`
metadata: {namespace: x, name: internet}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]`)
  const dnsTcpOnly = np(`
metadata: {namespace: y, name: dns-tcp}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: TCP}]`)
  const dnsOk = np(`
metadata: {namespace: z, name: dns}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]`)
  const cells = compute([internetNoDns, dnsTcpOnly, dnsOk], [], opts)
  const get = (from: string, to: string) => cells.find((c) => c.from === from && c.to === to)?.allowed
  // the stand-in kube-dns pod has no IP, so 0.0.0.0/0 does not reach it
  assert.is(get('x/a', 'dns'), false)
  assert.is(get('x/a', 'example.com'), false)
  assert.is(get('y/a', 'dns'), false)
  assert.is(get('z/a', 'dns'), true)
  assert.is(get('z/a', 'example.com'), false, 'z may resolve but not connect out')
  assert.ok(cells.every((c) => !c.from.startsWith('kube-system/') && !c.to.startsWith('kube-system/')), 'the stand-in is no row/column')
})

test.run()
