// `netpol --offline` as a user (and CI) runs it: the CONTRACTS.md JSON shape, directories, workloads,
// bad input, report formats, and the repository's own assertions failing when a policy opens a path.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { REPO } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const BENCH = path.join(REPO, 'tests', 'fixtures', 'netpol', 'bench-9pods.yaml')
const env = { ...process.env, NO_COLOR: '1' }

interface Cell { from: string; to: string; port: number; protocol: string; allowed: boolean }

test('--offline <file> --format json: the contract shape, one cell per ordered pair and destination port', async () => {
  const r = await runScript('netpol', ['--offline', BENCH, '--format', 'json'], { env })
  assert.is(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { cells: Cell[] }
  assert.is(out.cells.length, 288)
  assert.equal(Object.keys(out.cells[0] ?? {}).slice(0, 5), ['from', 'to', 'port', 'protocol', 'allowed'])
  const get = (from: string, to: string, port: number, protocol: string) => out.cells.find((c) => c.from === from && c.to === to && c.port === port && c.protocol === protocol)?.allowed
  // hand-derived from the fixture's comments
  assert.is(get('y/b', 'x/a', 80, 'TCP'), true, 'policy 2: pod=b from outside x, and y/b egress CIDR includes x/a')
  assert.is(get('x/b', 'x/a', 80, 'TCP'), false, 'policy 2 needs a namespace other than x')
  assert.is(get('y/b', 'x/b', 81, 'TCP'), false, 'y/b egress excepts x/b')
  assert.is(get('x/c', 'x/b', 81, 'TCP'), true, 'policy 3 named port serve-81-tcp from pod c')
  assert.is(get('x/c', 'x/b', 80, 'TCP'), false)
  assert.is(get('z/a', 'y/c', 80, 'TCP'), false, 'policy 7 defaulted Ingress')
  assert.is(get('x/a', 'z/b', 81, 'UDP'), true, 'policy 8, NotIn on an absent label')
  assert.is(get('z/a', 'z/b', 81, 'UDP'), false)
  assert.is(get('z/c', 'z/a', 80, 'TCP'), false, 'policy 10 z/c egress denied')
  assert.ok(out.cells.every((c) => c.from !== c.to))
})

test('a directory: recursive *.yaml/*.yml, undeclared namespaces, workloads as representative pods', async () => {
  const dir = tempDir('netpol-dir-')
  try {
    fs.mkdirSync(path.join(dir, 'sub'))
    fs.writeFileSync(path.join(dir, 'web.yaml'), `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, ports: [{containerPort: 8080, name: http}]}]}
`)
    fs.writeFileSync(path.join(dir, 'sub', 'client.yml'), `apiVersion: v1
kind: Pod
metadata: {name: client, namespace: other, labels: {role: client}}
spec: {containers: [{name: c, ports: [{containerPort: 9000, protocol: UDP}]}]}
`)
    fs.writeFileSync(path.join(dir, 'sub', 'policy.yaml'), `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-other, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}}], ports: [{port: http}]}]
`)
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'kind: Pod\nmetadata: {name: ignored}\n')
    const r = await runScript('netpol', ['--offline', dir, '--format', 'json'], { env })
    assert.is(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as { cells: Cell[] }
    // Pod documents come first, then workloads; notes.txt is not read
    assert.equal(out.cells, [
      { from: 'other/client', to: 'shop/web', port: 8080, protocol: 'TCP', allowed: true, portName: 'http' } as Cell,
      { from: 'shop/web', to: 'other/client', port: 9000, protocol: 'UDP', allowed: true },
    ])
  } finally {
    removeDir(dir)
  }
})

test('invalid input: exit 2, one line naming the file, object and field, no stack trace', async () => {
  const dir = tempDir('netpol-bad-')
  try {
    const file = path.join(dir, 'bad.yaml')
    fs.writeFileSync(file, `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: broken, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]
`)
    const r = await runScript('netpol', ['--offline', file], { env })
    assert.is(r.code, 2)
    assert.is(r.stdout, '')
    assert.match(r.stderr, /bad\.yaml#1: NetworkPolicy x\/broken spec\.ingress\[0\]\.from\[0\]: ipBlock may not be combined with namespaceSelector or podSelector/)
    assert.not.match(r.stderr, /    at /)
    const missing = await runScript('netpol', ['--offline', path.join(dir, 'nope.yaml')], { env })
    assert.is(missing.code, 2)
    assert.match(missing.stderr, /nope\.yaml: no such file or directory/)
  } finally {
    removeDir(dir)
  }
})

test('--format junit/tap with --output: valid reports written to the file, nothing on stdout', async () => {
  const dir = tempDir('netpol-out-')
  try {
    const xml = path.join(dir, 'reports', 'netpol.xml')
    const r = await runScript('netpol', ['--offline', BENCH, '--format', 'junit', '--output', xml], { env })
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stdout, '')
    const text = fs.readFileSync(xml, 'utf8')
    assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="netpol" tests="288" failures="0" errors="0">/)
    assert.is(text.match(/<testcase /g)?.length, 288)
    const tap = await runScript('netpol', ['--offline', BENCH, '--format', 'tap'], { env })
    const lines = tap.stdout.trim().split('\n')
    assert.equal(lines.slice(0, 2), ['TAP version 14', '1..288'])
    assert.is(lines.filter((l) => /^ok \d+ - /.test(l)).length, 288)
  } finally {
    removeDir(dir)
  }
})

test("--repo --assert: this repository's policies keep their promises", async () => {
  const r = await runScript('netpol', ['--repo', '--assert', 'apps/netpol-assertions.yaml', '--format', 'json'], { env })
  assert.is(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { assertions: { name: string; ok: boolean; checked: number }[] }
  assert.ok(out.assertions.length >= 8)
  assert.ok(out.assertions.every((a) => a.ok && a.checked > 0))
})

test('a policy that silently opens dev -> production fails the assertions offline (exit 1, named)', async () => {
  const dir = tempDir('netpol-repo-')
  try {
    for (const d of ['apps', 'infrastructure']) fs.cpSync(path.join(REPO, d), path.join(dir, d), { recursive: true, filter: (src) => !src.includes('node_modules') })
    fs.appendFileSync(path.join(dir, 'apps', 'base', 'networkpolicies.yaml'), `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-from-all-demo-namespaces
spec:
  podSelector: {}
  ingress:
    - from:
        - namespaceSelector: {}
  egress:
    - to:
        - namespaceSelector: {}
`)
    const r = await runScript('netpol', ['--offline', path.join(dir, 'apps'), path.join(dir, 'infrastructure'), '--assert', path.join(dir, 'apps', 'netpol-assertions.yaml')], { env })
    assert.is(r.code, 1, r.stderr)
    assert.match(r.stdout, /✖ dev must not reach production: 1 of 1 connections are allowed/)
    assert.match(r.stdout, /demo-dev\/demo -> demo-production\/demo 8000\/TCP \(http\) is allowed/)
    assert.match(r.stdout, /✔ no egress to the internet from production/, 'namespaceSelector {} does not open the internet')
    assert.match(r.stderr, /✖ netpol: \d+ of \d+ assertions fail/)
  } finally {
    removeDir(dir)
  }
})

test('--help prints usage and exits 0', async () => {
  const r = await runScript('netpol', ['--help'], { env })
  assert.is(r.code, 0)
  assert.match(r.stdout, /--offline <path>/)
  assert.match(r.stdout, /--assert <file>/)
})

test.run()
