import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { AssertionsError, parseAssertions } from '../../scripts/lib/netpol/assertions.mts'
import { offlineReport } from '../../scripts/lib/netpol/offline.mts'
import { loadInputs } from '../../scripts/lib/netpol/load.mts'
import { renderJson, renderJunit, renderTap } from '../../scripts/lib/netpol/report/machine.mts'
import { renderHuman } from '../../scripts/lib/netpol/report/human.mts'
import type { NetpolReport } from '../../scripts/lib/netpol/report/types.mts'
import { topologyObjects } from './topology.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const head = 'kind: NetpolAssertions\nassertions:\n'

test('assertion files are validated with the offending field named', () => {
  const bad = (body: string, re: RegExp) => assert.throws(() => parseAssertions(head + body, 'a.yaml'), (e: unknown) => e instanceof AssertionsError && re.test((e as Error).message))
  bad('- {name: x, from: {namspace: a}, to: {}, expect: deny}', /a\.yaml: assertions\[0\]\.from\.namspace: unknown field/)
  bad('- {name: x, from: {}, to: {}, expect: maybe}', /assertions\[0\]\.expect: must be allow or deny/)
  bad('- {name: x, from: {}, to: {}, ports: [http-80-x-y-z-long-name], expect: deny}', /ports\[0\]/)
  bad('- {name: x, from: {}, to: {external: ["1.1.1.1"]}, expect: deny}', /is not host:port/)
  bad('- {name: x, from: {}, to: {namespace: a, dns: true}, expect: deny}', /choose one of/)
  bad('- {name: x, from: {}, to: {}, expect: deny}\n- {name: x, from: {}, to: {}, expect: deny}', /duplicate assertion name/)
  assert.throws(() => parseAssertions('kind: Other\nassertions: []', 'a.yaml'), /kind: must be NetpolAssertions/)
  // malformed YAML: the file and the line, without the parser's code frame
  assert.throws(() => parseAssertions(`${head}  - from: dev\n    to: [prod\n`, 'a.yaml'), (e: unknown) => e instanceof AssertionsError && /^a\.yaml: not valid YAML: line \d+: [^\n]*[^:]$/.test((e as Error).message))
})

const topo = () => topologyObjects().map((obj) => ({ obj }))
const denyX = { obj: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: 'x', name: 'deny' }, spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 'serve-80-tcp' }] }] } } }

test('assertions: all matching cells must agree; named ports resolve on the destination; no match = failure', () => {
  const file = parseAssertions(
    head +
      `- {name: y cannot reach x, from: {namespace: y}, to: {namespace: x}, expect: deny}
- {name: x reaches x on serve-80-tcp, from: {namespace: x}, to: {namespaceLabels: {ns: x}}, ports: [serve-80-tcp], expect: allow}
- {name: x reaches x on 81, from: {namespace: x}, to: {namespace: x}, ports: [81], expect: allow}
- {name: typo, from: {namespace: xx}, to: {namespace: x}, expect: deny}
- {name: y reaches z udp, from: {pod: [a, b], namespace: y}, to: {podLabels: {pod: c}, namespace: z}, ports: [81/UDP], expect: allow}
`,
    'a.yaml',
  )
  const { report } = offlineReport([...topo(), denyX], { assertions: file })
  const by = Object.fromEntries(report.assertions.map((a) => [a.name, a]))
  assert.equal([by['y cannot reach x']?.ok, by['y cannot reach x']?.checked], [true, 3 * 3 * 4])
  assert.equal([by['x reaches x on serve-80-tcp']?.ok, by['x reaches x on serve-80-tcp']?.checked], [true, 6])
  assert.is(by['x reaches x on 81']?.ok, false)
  assert.is(by['x reaches x on 81']?.message, '12 of 12 connections are denied')
  assert.is(by.typo?.ok, false)
  assert.match(by.typo?.message ?? '', /matched no traffic/)
  assert.equal([by['y reaches z udp']?.ok, by['y reaches z udp']?.checked], [true, 2])
  assert.not.ok(report.ok)
})

function probeReport(): NetpolReport {
  const { report } = offlineReport([...topo(), denyX])
  report.mode = 'probe'
  for (const c of report.cells) {
    c.observed = c.expected
    c.class = c.expected ? 'ok' : 'timeout'
    c.attempts = 1
  }
  const hole = report.cells.find((c) => c.from === 'y/a' && c.to === 'x/b' && c.port === 81 && c.protocol === 'TCP')
  const blocked = report.cells.find((c) => c.from === 'x/a' && c.to === 'x/b' && c.port === 80 && c.protocol === 'TCP')
  if (hole) Object.assign(hole, { observed: true, class: 'ok', attempts: 3, why: 'ingress: isolated by x/deny; no rule allows it' })
  if (blocked) Object.assign(blocked, { observed: false, class: 'timeout', detail: 'TIMEOUT <&>', attempts: 3 })
  report.probe = { rounds: 3, execs: 11, durationMs: 4200, settled: false }
  report.ok = false
  return report
}

test('json: offline cells carry `allowed`; probe cells carry expected/observed/match/class', () => {
  const offline = JSON.parse(renderJson(offlineReport(topo()).report)) as { cells: Record<string, unknown>[]; ok: boolean }
  assert.equal(offline.cells[0], { from: 'x/a', to: 'x/b', port: 80, protocol: 'TCP', allowed: true, portName: 'serve-80-tcp' })
  const probe = JSON.parse(renderJson(probeReport())) as { cells: Record<string, unknown>[]; summary: Record<string, number>; probe: unknown }
  const hole = probe.cells.find((c) => c.from === 'y/a' && c.to === 'x/b' && c.port === 81 && c.protocol === 'TCP')
  assert.equal(hole, { from: 'y/a', to: 'x/b', port: 81, protocol: 'TCP', expected: false, observed: true, match: false, class: 'ok', attempts: 3, why: 'ingress: isolated by x/deny; no rule allows it', portName: 'serve-81-tcp' })
  assert.is(probe.summary.mismatches, 2)
  assert.is(probe.summary.unexpectedlyAllowed, 1)
  assert.is(probe.summary.unexpectedlyDenied, 1)
})

test('junit: one testcase per cell, failures for mismatches, XML-escaped', () => {
  const xml = renderJunit(probeReport())
  assert.match(xml, /<testsuites name="netpol" tests="288" failures="2" errors="0">/)
  assert.match(xml, /<testsuite name="netpol probes" tests="288" failures="2" errors="0" time="4\.200">/)
  assert.match(xml, /<testcase name="y\/a -&gt; x\/b 81\/TCP \(serve-81-tcp\)" classname="netpol\.probe\.y"><failure message="expected denied, observed allowed" type="mismatch">/)
  assert.match(xml, /expected allowed, observed denied \(timeout\)/)
  assert.not.match(xml, /<&>/)
})

test('tap 14: plan, not ok with a YAML diagnostic block', () => {
  const lines = renderTap(probeReport()).split('\n')
  assert.equal(lines.slice(0, 2), ['TAP version 14', '1..288'])
  const i = lines.findIndex((l) => l.startsWith('not ok') && l.includes('y/a -> x/b 81/TCP'))
  assert.ok(i > 0)
  assert.equal(lines.slice(i + 1, i + 5), ['  ---', '  message: "expected denied, observed allowed"', '  expected: denied', '  observed: allowed'])
  assert.is(lines.filter((l) => l.startsWith('not ok')).length, 2)
})

test('human: expected/observed/diff tables, A and D marks, mismatch list, summary', () => {
  const text = renderHuman(probeReport())
  const lines = text.split('\n')
  const diff81 = lines.indexOf('diff 81/TCP')
  assert.match(lines.slice(diff81).find((l) => l.startsWith('y/a')) ?? '', /^y\/a\s+\.\s+A\s+\./)
  const diff80 = lines.indexOf('diff 80/TCP')
  assert.match(lines.slice(diff80).find((l) => l.startsWith('x/a')) ?? '', /^x\/a\s+-\s+D\s+/)
  assert.match(text, /Mismatches \(2\):/)
  assert.match(text, /x\/a -> x\/b 80\/TCP \(serve-80-tcp\): expected allowed, observed denied \(timeout: TIMEOUT <&>\) after 3 attempts/)
  assert.match(text, /✖ 288 connections: .*probed in 3 rounds \(11 exec calls, 4\.2s\); 2 mismatches \(1 unexpectedly allowed, 1 unexpectedly denied\)/)
})

test('loading: kustomizations rendered once (bases used by others and Components skipped), plain YAML read', async () => {
  const dir = tempDir('netpol-load-')
  try {
    const w = (p: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true })
      fs.writeFileSync(path.join(dir, p), text)
    }
    w('apps/base/kustomization.yaml', 'resources: [pod.yaml]\n')
    w('apps/base/pod.yaml', 'kind: Pod\nmetadata: {name: base-pod}\n')
    w('apps/overlays/one/kustomization.yaml', 'resources: [../../base]\ncomponents: [../../comp]\n')
    w('apps/comp/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n')
    w('apps/plain/extra.yml', 'kind: Pod\nmetadata: {name: plain, namespace: p}\n---\n# empty doc\n')
    const rendered: string[] = []
    const objs = await loadInputs([path.join(dir, 'apps')], {
      cwd: dir,
      render: async (d) => {
        rendered.push(path.relative(dir, d))
        return 'kind: Pod\nmetadata: {name: from-overlay, namespace: one}\n'
      },
    })
    assert.equal(rendered, ['apps/overlays/one'])
    assert.equal(objs.map((o) => o.source), ['apps/plain/extra.yml#1', 'apps/overlays/one (kustomize)#1'])
    // a directory given directly that IS a kustomization is rendered as one unit
    rendered.length = 0
    await loadInputs([path.join(dir, 'apps', 'base')], { cwd: dir, render: async (d) => { rendered.push(path.relative(dir, d)); return '' } })
    assert.equal(rendered, ['apps/base'])
    const failure = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message)
    assert.match(await failure(loadInputs([path.join(dir, 'apps')], { cwd: dir })), /apps\/overlays\/one: is a Kustomize directory/)
    w('broken.yaml', 'kind: Pod\nmetadata: {name: [unclosed\n')
    assert.match(await failure(loadInputs([path.join(dir, 'broken.yaml')], { cwd: dir })), /^broken\.yaml: not valid YAML: line \d+: /)
    // a kustomization that does not render: the file and line of the broken YAML, not kustomize's klog line
    const klog = 'failed with exit code 1: E1203 12:30:52.968503    3149 run.go:72] "command failed" err="invalid Kustomization: yaml: line 67: did not find expected key"'
    const failingRender = async () => { throw new Error(klog) }
    const kfile = path.join(dir, 'apps', 'overlays', 'one', 'kustomization.yaml')
    const good = fs.readFileSync(kfile, 'utf8')
    fs.writeFileSync(kfile, `${good}\n bad: [\n`)
    let msg = await failure(loadInputs([path.join(dir, 'apps', 'overlays', 'one')], { cwd: dir, render: failingRender }))
    assert.match(msg, /^apps\/overlays\/one\/kustomization\.yaml: not valid YAML: line \d+: /)
    assert.not.match(msg, /E1203|run\.go|command failed/)
    fs.writeFileSync(kfile, good)
    // the broken file is a resource of a base the overlay pulls in
    w('apps/base/pod.yaml', 'kind: Pod\nmetadata:\n  name: [oops\n')
    const baseK = path.join(dir, 'apps', 'base', 'kustomization.yaml')
    const baseGood = fs.readFileSync(baseK, 'utf8')
    fs.writeFileSync(baseK, 'resources:\n  - pod.yaml\n')
    msg = await failure(loadInputs([path.join(dir, 'apps', 'overlays', 'one')], { cwd: dir, render: failingRender }))
    assert.match(msg, /^apps\/base\/pod\.yaml: not valid YAML: line \d+: /)
    fs.writeFileSync(baseK, baseGood)
    fs.rmSync(path.join(dir, 'apps', 'base', 'pod.yaml'))
    // every YAML parses: kustomize's own words, without the klog prefix
    msg = await failure(loadInputs([path.join(dir, 'apps', 'overlays', 'one')], { cwd: dir, render: failingRender }))
    assert.is(msg, 'apps/overlays/one: kustomize could not build it: invalid Kustomization: yaml: line 67: did not find expected key')
  } finally {
    removeDir(dir)
  }
})

test.run()
