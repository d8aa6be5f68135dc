// `netpol` (live mode) as a user runs it, against the fake kubectl binary (tests/fakes), whose netpol
// handler simulates a CNI enforcing some policy set. Exec calls are counted from the fake's calls.jsonl.
// (More probe scenarios, in-process and fast: probe-scenarios.test.mts.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fakeEnv, type FakeEnv } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { clusterState } from './fake-cluster.mts'

interface JsonCell { from: string; to: string; port: number; protocol: string; expected: boolean; observed: boolean | null; match: boolean; class?: string; toKind?: string }
interface JsonReport { ok: boolean; cells: JsonCell[]; probe: { rounds: number; execs: number; settled: boolean } }

const OPTS = ['--interval', '0', '--timeout', '1', '--concurrency', '3']
const FAST = ['--namespace', 'x,y,z', ...OPTS]
const execCalls = (f: FakeEnv) => f.calls('kubectl').filter((c) => c.argv.includes('exec'))

test('CNI enforcing the reported policies: exit 0, JSON report, one kubectl exec per source pod', async () => {
  const f = fakeEnv(clusterState())
  try {
    const r = await runScript('netpol', [...FAST, '--format', 'json'], { env: f.env, timeoutMs: 180_000 })
    assert.is(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout) as JsonReport
    assert.ok(report.ok)
    assert.ok(report.cells.every((c) => c.match))
    assert.is(report.cells.length, 9 * 8 * 4 + 9, 'pod cells plus one DNS cell per source')
    const execs = execCalls(f)
    assert.is(execs.length, 9)
    const sources = execs.map((c) => { const i = c.argv.indexOf('-n'); return `${c.argv[i + 1]}/${c.argv[i + 2]}` })
    assert.equal(new Set(sources).size, 9, 'each source pod exactly once')
    assert.ok(execs.every((c) => c.argv.includes('--') && c.argv.at(-2) === '-c' && c.argv.at(-1)?.startsWith('# netpol-probe v1')))
    assert.match(r.stderr, /skipped 1 pods that are not running: x\/pending/)
  } finally {
    f.cleanup()
  }
})

test('a kubectl 1.30 client (no --custom unless KUBECTL_DEBUG_CUSTOM_PROFILE=true) still adds the probe containers', async () => {
  const state = clusterState()
  state.kube.clientVersion = 'v1.30.13'
  const f = fakeEnv(state, { KUBECTL_DEBUG_CUSTOM_PROFILE: 'false' })
  try {
    const r = await runScript('netpol', [...FAST, '--format', 'json'], { env: f.env, timeoutMs: 180_000 })
    assert.is(r.code, 0, r.stderr)
    assert.ok((JSON.parse(r.stdout) as JsonReport).ok)
    assert.is(f.calls('kubectl').filter((c) => c.argv.includes('debug')).length, 9)
    assert.not.match(r.stderr, 'unknown flag')
  } finally {
    f.cleanup()
  }
})

test('CNI enforcing nothing: mismatches reported, exit 1, re-probes only sources with mismatches', async () => {
  const f = fakeEnv(clusterState({ enforce: 'none' }))
  try {
    const r = await runScript('netpol', [...FAST, '--format', 'json', '--rounds', '2'], { env: f.env, timeoutMs: 180_000 })
    assert.is(r.code, 1)
    const report = JSON.parse(r.stdout) as JsonReport
    const wrong = report.cells.filter((c) => !c.match)
    assert.equal(wrong, report.cells.filter((c) => !c.expected), 'exactly the cells policies deny')
    assert.ok(wrong.every((c) => c.observed === true))
    const wrongSources = new Set(wrong.map((c) => c.from)).size
    assert.is(execCalls(f).length, 9 + wrongSources)
    assert.is(report.probe.execs, 9 + wrongSources)
    assert.match(r.stderr, /✖ netpol: \d+ probes differ from the policies \(\d+ unexpectedly allowed, 0 unexpectedly denied\)/)
  } finally {
    f.cleanup()
  }
})

test('human report: expected, observed and diff matrices with the mismatch marked and explained', async () => {
  const f = fakeEnv(clusterState({ enforce: { drop: ['z/c-deny-egress'] } }))
  try {
    const r = await runScript('netpol', [...OPTS, '--namespace', 'y,z', '--rounds', '1'], { env: f.env, timeoutMs: 180_000 })
    assert.is(r.code, 1)
    for (const title of ['expected 80/TCP', 'observed 80/TCP', 'diff 80/TCP']) assert.ok(r.stdout.includes(title), title)
    const lines = r.stdout.split('\n')
    const diff = lines.indexOf('diff 80/TCP')
    assert.match(lines[diff + 1] ?? '', /^\s+y\/a\s+y\/b\s+y\/c\s+z\/a\s+z\/b\s+z\/c$/)
    // z/c -> y/a and y/b are open without its egress policy (A); y/c and z/b deny ingress anyway (.)
    assert.match(lines.slice(diff).find((l) => l.startsWith('z/c')) ?? '', /^z\/c\s+A\s+A\s+\.\s+A\s+\.\s+-$/)
    assert.match(r.stdout, /z\/c -> y\/a 80\/TCP \(serve-80-tcp\): expected denied, observed allowed \(connected\) after 1 attempts/)
    assert.match(r.stdout, /egress: isolated by z\/c-deny-egress; no rule allows it/)
  } finally {
    f.cleanup()
  }
})

test('--dry-run: reads the cluster, prints the debug commands it would run, probes nothing, exit 0', async () => {
  const f = fakeEnv(clusterState())
  try {
    const r = await runScript('netpol', [...FAST, '--dry-run', '--format', 'json'], { env: f.env, timeoutMs: 180_000 })
    assert.is(r.code, 0, r.stderr)
    assert.equal(f.calls('kubectl').map((c) => c.argv[2]), ['get', 'get', 'get'])
    assert.is(r.stderr.match(/\[dry-run\] kubectl --context kind-platform debug -n /g)?.length, 9)
    assert.match(r.stderr, /dry run: no probe container added and nothing probed/)
    const out = JSON.parse(r.stdout) as { cells: { allowed: boolean }[] }
    assert.is(out.cells.length, 9 * 8 * 4 + 9)
  } finally {
    f.cleanup()
  }
})

test.run()
