// runProbes() against the fake kubectl in-process (same fake as the CLI tests, no process spawns):
// a CNI that enforces the reported policies, nothing, a different set, late; failing execs; closed ports;
// external targets; an unpullable probe image; the deadline.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runProbes, type ProbeOptions } from '../../scripts/lib/netpol/probe/live.mts'
import { parseAssertions } from '../../scripts/lib/netpol/assertions.mts'
import { isMismatch, type NetpolReport, type ReportCell } from '../../scripts/lib/netpol/report/types.mts'
import { StepError } from '../../scripts/lib/shell/errors.mts'
import { CONTEXT, clusterState, inProcessRunner, isDebug, isExec, type InProcess } from './fake-cluster.mts'

function clock() {
  let t = 0
  return { now: () => t, sleep: async (ms: number) => { t += ms } }
}

async function run(netpol: Record<string, unknown>, options: ProbeOptions = {}, setup?: (f: InProcess) => void): Promise<{ report: NetpolReport; f: InProcess }> {
  const f = inProcessRunner(clusterState(netpol))
  setup?.(f)
  try {
    const report = await runProbes({ runner: f.runner, config: { kubeContext: CONTEXT, environments: [] } }, { namespaces: ['x', 'y', 'z'], intervalSec: 1, ...clock(), ...options })
    return { report, f }
  } finally {
    f.cleanup()
  }
}

const sources = (cells: ReportCell[]) => new Set(cells.map((c) => c.from))
const execs = (f: InProcess) => f.calls.filter(isExec)

test('CNI enforcing the reported policies: all match in one round, one exec per source pod', async () => {
  const { report, f } = await run({})
  assert.ok(report.ok, JSON.stringify(report.cells.filter(isMismatch).slice(0, 3)))
  assert.equal(report.probe, { rounds: 1, execs: 9, durationMs: 0, settled: true })
  assert.is(execs(f).length, 9)
  assert.is(f.calls.filter(isDebug).length, 9)
  assert.ok(f.calls.every((argv) => argv[0] === '--context' && argv[1] === CONTEXT), 'every call names the context')
  const debugArgv = f.calls.find(isDebug) ?? []
  assert.ok(debugArgv.includes('--profile=restricted') && debugArgv.some((a) => a.startsWith('--image=registry.k8s.io/e2e-test-images/agnhost:')))
  assert.equal(report.cells.filter((c) => c.toKind === 'dns' && !c.expected).map((c) => c.from), ['y/a', 'z/c'])
  assert.ok(report.cells.every((c) => c.observed === c.expected))
  assert.ok(report.warnings.some((w) => w.includes('skipped 1 pods that are not running: x/pending')))
  // the state now has running probe containers: a second run adds none
  const again = inProcessRunner(f.state)
  try {
    const r2 = await runProbes({ runner: again.runner, config: { kubeContext: CONTEXT, environments: [] } }, { namespaces: ['x', 'y', 'z'], ...clock() })
    assert.ok(r2.ok)
    assert.is(again.calls.filter(isDebug).length, 0)
    assert.is(again.calls.filter(isExec).length, 9)
  } finally {
    again.cleanup()
  }
})

test('CNI enforcing nothing: exactly the expected-denied cells are unexpectedly allowed; only wrong sources re-probed', async () => {
  const { report, f } = await run({ enforce: 'none' }, { maxRounds: 3 })
  assert.not.ok(report.ok)
  const denied = report.cells.filter((c) => !c.expected)
  const wrong = report.cells.filter(isMismatch)
  assert.equal(wrong, denied)
  assert.ok(wrong.every((c) => c.observed === true && c.attempts === 3))
  assert.ok(report.cells.filter((c) => c.expected).every((c) => c.attempts === 1), 'matching cells are probed once')
  assert.is(report.probe?.rounds, 3)
  assert.is(execs(f).length, 9 + 2 * sources(wrong).size)
  assert.is(report.probe?.execs, execs(f).length)
})

test('the deadline ends re-probing (interval 2s, deadline 5s: rounds at t=0, 2, 4)', async () => {
  const { report } = await run({ enforce: 'none' }, { intervalSec: 2, deadlineSec: 5 })
  assert.is(report.probe?.rounds, 3)
  assert.is(report.probe?.settled, false)
})

test('CNI missing one policy (z/c-deny-egress): only z/c differs, explained by the policy', async () => {
  const { report } = await run({ enforce: { drop: ['z/c-deny-egress'] } }, { maxRounds: 1 })
  const wrong = report.cells.filter(isMismatch)
  assert.equal([...sources(wrong)], ['z/c'])
  assert.ok(wrong.some((c) => c.toKind === 'dns'))
  assert.not.ok(wrong.some((c) => c.to === 'y/c'), 'y/c denies all ingress anyway')
  const toYa = wrong.find((c) => c.to === 'y/a' && c.port === 80 && c.protocol === 'TCP')
  assert.match(toYa?.why ?? '', /^egress: isolated by z\/c-deny-egress; no rule allows it \| ingress: not isolated$/)
})

test('CNI enforcing a different, stricter set: unexpectedly denied cells', async () => {
  const stricter = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: 'y', name: 'deny-all' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } }
  const { report } = await run({ enforce: { policies: [stricter] } }, { maxRounds: 1 })
  const wrong = report.cells.filter(isMismatch)
  assert.ok(wrong.length > 0)
  // the fake enforces ONLY y's deny-all: cells into y that policy expected allowed are now blocked
  assert.ok(wrong.filter((c) => c.to.startsWith('y/')).every((c) => c.expected && c.observed === false && c.class === 'timeout'))
  assert.ok(wrong.filter((c) => !c.to.startsWith('y/')).every((c) => !c.expected && c.observed === true))
})

test('policies programmed late: round 1 mismatches are re-probed and settle in round 2', async () => {
  const { report, f } = await run({ settleAfterExecs: 9 })
  assert.ok(report.ok)
  assert.is(report.probe?.rounds, 2)
  const retried = report.cells.filter((c) => c.attempts === 2)
  assert.ok(retried.length > 0 && retried.every((c) => !c.expected))
  assert.is(execs(f).length, 9 + sources(retried).size)
})

test('a failing exec leaves its cells unobserved and is retried next round; closed port = refused', async () => {
  const { report, f } = await run({ closed: ['y/a:81/UDP'] }, { maxRounds: 2 }, (fk) => fk.failOnce('exec -n x a', 'error: unable to upgrade connection'))
  assert.is(execs(f).filter((argv) => argv.join(' ').includes('exec -n x a')).length, 2)
  assert.ok(report.cells.filter((c) => c.from === 'x/a').every((c) => c.observed !== undefined))
  const wrong = report.cells.filter(isMismatch)
  assert.ok(wrong.length > 0 && wrong.every((c) => c.to === 'y/a' && c.port === 81 && c.protocol === 'UDP' && c.class === 'refused'))
  assert.match(wrong[0]?.why ?? '', /nothing listens on 81\/UDP/)
})

test('an exec that keeps failing: its cells are reported as not observed, report not ok', async () => {
  const { report } = await run({}, { maxRounds: 2 }, (fk) => {
    fk.failOnce('exec -n x b', 'error: container not found')
    fk.failOnce('exec -n x b', 'error: container not found')
  })
  const xb = report.cells.filter((c) => c.from === 'x/b')
  assert.ok(xb.every((c) => c.observed === undefined && /container not found/.test(c.detail ?? '')))
  assert.not.ok(report.ok)
})

test('external targets by IP and name, DNS classification, and assertions against the expectation', async () => {
  const assertions = parseAssertions(
    `kind: NetpolAssertions
assertions:
- name: z/c has no way out
  from: {namespace: z, pod: c}
  to: {external: ["1.1.1.1:443", "example.com:443"]}
  expect: deny
- name: y/a reaches the internet
  from: {namespace: y, pod: a}
  to: {external: ["1.1.1.1:443"]}
  expect: allow
`,
    'assert.yaml',
  )
  const { report } = await run({ externalIps: { 'example.com': '93.184.215.14' } }, { assertions })
  const ext = report.cells.filter((c) => c.toKind === 'external')
  assert.is(ext.length, 18)
  assert.ok(ext.every((c) => c.observed === c.expected))
  assert.is(ext.find((c) => c.from === 'z/c' && c.to === 'example.com')?.class, 'dns')
  assert.is(ext.find((c) => c.from === 'y/a' && c.to === '1.1.1.1')?.class, 'timeout')
  assert.equal(report.assertions.map((a) => [a.name, a.ok]), [['z/c has no way out', true], ['y/a reaches the internet', false]])
  assert.not.ok(report.ok, 'a failing assertion fails the run')
})

test('a probe image that cannot be pulled: cells not observed, no exec, the reason is reported', async () => {
  const { report, f } = await run({ probeContainer: 'ErrImagePull' }, { namespaces: ['x'], readyTimeoutSec: 3 })
  assert.is(execs(f).length, 0)
  assert.ok(report.cells.every((c) => c.observed === undefined))
  assert.ok(report.warnings.some((w) => /x\/a: probe container did not start within 3s \(ErrImagePull: failed to pull image/.test(w)))
  assert.not.ok(report.ok)
})

test('nothing to probe is an error that says what to do', async () => {
  try {
    await run({}, { namespaces: ['demo-dev'] })
    assert.unreachable()
  } catch (e) {
    assert.instance(e, StepError)
    assert.match((e as StepError).message, /no running pods to probe in demo-dev/)
  }
})

test.run()
