// The probe agent script (run for real in /bin/sh with stub agnhost/dig), result parsing and classification,
// probe planning, and the round logic with an in-memory exec.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { buildProbeScript, classify, parseProbeOutput, parseProbeScript, type ProbeSpec } from '../../scripts/lib/netpol/probe/script.mts'
import { probeRounds, type SourcePlan } from '../../scripts/lib/netpol/probe/rounds.mts'
import { planProbes } from '../../scripts/lib/netpol/probe/plan.mts'
import { debugError } from '../../scripts/lib/netpol/probe/live.mts'
import { buildCluster } from '../../scripts/lib/netpol/objects.mts'
import { computeExpectation } from '../../scripts/lib/netpol/targets.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const SPECS: ProbeSpec[] = [
  { id: 0, method: 'connect', protocol: 'TCP', host: '10.0.0.1', port: 80 },
  { id: 1, method: 'connect', protocol: 'UDP', host: '10.0.0.2', port: 81 },
  { id: 2, method: 'connect', protocol: 'TCP', host: '10.0.0.3', port: 8000 },
  { id: 3, method: 'connect', protocol: 'TCP', host: 'example.com', port: 443 },
  { id: 4, method: 'connect', protocol: 'SCTP', host: 'fd00::1', port: 80 },
  { id: 5, method: 'dns', protocol: 'UDP', host: '10.0.0.9', port: 53 },
  { id: 6, method: 'dns', protocol: 'TCP', host: '10.0.0.8', port: 53 },
]

test('the script round-trips: what the fake kubectl reads back is what was planned', () => {
  const script = buildProbeScript(SPECS, 2)
  assert.equal(parseProbeScript(script), SPECS)
  assert.match(script, /^# netpol-probe v1\nT=2\n/)
  assert.match(script, /\nwait\n$/)
  assert.equal(parseProbeScript('echo hi'), [], 'not a probe script')
})

test('the script runs in a POSIX shell: all probes in the background, one result line each', () => {
  const dir = tempDir('netpol-sh-')
  try {
    const agnhost = path.join(dir, 'agnhost')
    fs.writeFileSync(agnhost, `#!/bin/sh
# stub: $1=connect $2=host:port $3=--protocol=.. $4=--timeout=..
case "$2" in
  10.0.0.1:80) exit 0 ;;
  10.0.0.2:81) [ "$3" = "--protocol=udp" ] || { echo "OTHER: wrong protocol $3" >&2; exit 1; }; echo TIMEOUT >&2; exit 1 ;;
  10.0.0.3:8000) echo REFUSED >&2; exit 1 ;;
  example.com:443) printf 'DNS: lookup example.com: no such host\\nsecond line\\n' >&2; exit 1 ;;
  '[fd00::1]:80') [ "$3" = "--protocol=sctp" ] && exit 0; exit 1 ;;
  *) echo "UNKNOWN: $2" >&2; exit 1 ;;
esac
`)
    fs.writeFileSync(path.join(dir, 'dig'), `#!/bin/sh
for a in "$@"; do case "$a" in
  @10.0.0.9) echo 10.96.0.1; exit 0 ;;
  @10.0.0.8) echo ";; connection timed out; no servers could be reached"; exit 9 ;;
esac; done
exit 1
`)
    fs.chmodSync(agnhost, 0o755)
    fs.chmodSync(path.join(dir, 'dig'), 0o755)
    const script = buildProbeScript(SPECS, 1).replaceAll('/agnhost ', `${agnhost} `)
    const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, timeout: 20_000 })
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout.trim().split('\n').length, SPECS.length)
    const out = parseProbeOutput(r.stdout)
    assert.equal(out.get(0), { connected: true, class: 'ok' })
    assert.equal(out.get(1), { connected: false, class: 'timeout', detail: 'TIMEOUT' })
    assert.equal(out.get(2), { connected: false, class: 'refused', detail: 'REFUSED' })
    assert.equal(out.get(3), { connected: false, class: 'dns', detail: 'DNS: lookup example.com: no such host' })
    assert.equal(out.get(4), { connected: true, class: 'ok' })
    assert.equal(out.get(5), { connected: true, class: 'ok' })
    assert.is(out.get(6)?.class, 'timeout')
  } finally {
    removeDir(dir)
  }
})

test('classification follows agnhost connect prefixes; garbage lines are ignored', () => {
  assert.equal(classify(0, ''), { connected: true, class: 'ok' })
  assert.is(classify(1, 'OTHER: dial tcp: no route to host').class, 'other')
  assert.is(classify(1, 'UNKNOWN: bad args').class, 'other')
  assert.is(classify(137, '').detail, 'exit code 137')
  const out = parseProbeOutput('noise\nR 3 0 \nR x 1 TIMEOUT\nR 4 1 TIMEOUT: i/o timeout\n')
  assert.equal([...out.keys()], [3, 4])
})

test('planning: pod IPs, DNS queries for port 53, externals by IP or name, unprobeable cells named', () => {
  const { cluster } = buildCluster(
    [
      { kind: 'Pod', metadata: { name: 'a', namespace: 'n' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] }, status: { podIP: '10.1.0.1' } },
      { kind: 'Pod', metadata: { name: 'b', namespace: 'n' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 81 }] }] }, status: { podIP: '10.1.0.2' } },
      { kind: 'Pod', metadata: { name: 'new', namespace: 'n' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } },
    ].map((obj) => ({ obj })),
  )
  const exp = computeExpectation(cluster, { dns: true, externals: [{ kind: 'external', host: 'example.com', port: 443, protocol: 'TCP' }, { kind: 'external', host: '1.1.1.1', ip: '1.1.1.1', port: 443, protocol: 'TCP' }] })
  const { plans, unprobed } = planProbes(exp)
  const fromA = plans.find((p) => p.source === 'n/a')?.probes.map((p) => `${p.spec.method} ${p.spec.protocol} ${p.spec.host}:${p.spec.port}`)
  assert.equal(fromA, ['dns UDP 10.1.0.2:53', 'connect TCP 10.1.0.2:81', 'connect TCP example.com:443', 'connect TCP 1.1.1.1:443'])
  assert.is(unprobed.get('n/a|n/new|80/TCP'), 'destination pod has no IP (not running yet?)')
  assert.match(unprobed.get('n/a|dns|53/UDP') ?? '', /no running kube-dns pod/, 'the offline stand-in cannot be probed')
})

function plans(n: number): SourcePlan[] {
  return Array.from({ length: n }, (_, i) => ({
    source: `ns/p${i}`,
    probes: [
      { key: `p${i}|a`, expected: true, spec: { method: 'connect' as const, protocol: 'TCP' as const, host: '10.0.0.1', port: 80 } },
      { key: `p${i}|b`, expected: false, spec: { method: 'connect' as const, protocol: 'TCP' as const, host: '10.0.0.2', port: 80 } },
    ],
  }))
}

test('rounds: one exec per source per round, only pending probes re-sent, stop when settled', async () => {
  const execs: { source: string; probes: number }[] = []
  let round = 0
  const result = await probeRounds(
    plans(3),
    {
      async exec(source, script) {
        const specs = parseProbeScript(script)
        execs.push({ source, probes: specs.length })
        // 10.0.0.2 is reachable (wrong) for p1 until its third attempt
        const attempt = execs.filter((e) => e.source === source).length
        return { ok: true, stdout: specs.map((s) => `R ${s.id} ${s.host === '10.0.0.1' || (source === 'ns/p1' && attempt < 3) ? 0 : 1} TIMEOUT`).join('\n') }
      },
    },
    { timeoutSec: 1, deadlineMs: 60_000, intervalMs: 1000, concurrency: 2, sleep: async () => { round++ }, now: () => round * 1000 },
  )
  assert.equal(execs, [
    { source: 'ns/p0', probes: 2 },
    { source: 'ns/p1', probes: 2 },
    { source: 'ns/p2', probes: 2 },
    { source: 'ns/p1', probes: 1 },
    { source: 'ns/p1', probes: 1 },
  ])
  assert.is(result.rounds, 3)
  assert.is(result.execs, 5)
  assert.ok(result.settled)
  assert.equal(result.observations.get('p1|b'), { connected: false, class: 'timeout', detail: 'TIMEOUT', attempts: 3 })
  assert.is(result.observations.get('p1|a')?.attempts, 1)
})

test('rounds: an exec failure keeps an earlier real observation, records the error otherwise', async () => {
  let n = 0
  const result = await probeRounds(plans(1), {
    async exec() {
      n++
      if (n === 1) return { ok: true, stdout: 'R 0 0 \nR 1 0 ' }
      return { ok: false, stdout: '', error: 'kubectl exec failed (exit 1): boom' }
    },
  }, { timeoutSec: 1, deadlineMs: 60_000, intervalMs: 0, concurrency: 1, maxRounds: 2, sleep: async () => {} })
  assert.equal(result.observations.get('p0|b'), { connected: true, class: 'ok', attempts: 2 }, 'the wrong-but-real observation stays')
  const none = await probeRounds(plans(1), { exec: async () => ({ ok: false, stdout: '', error: 'no container' }) }, { timeoutSec: 1, deadlineMs: 0, intervalMs: 0, concurrency: 1 })
  assert.equal(none.observations.get('p0|a'), { connected: false, class: 'error', detail: 'no container', attempts: 1 })
  assert.is(none.rounds, 1, 'deadline 0: a single round')
})

test('a failed kubectl debug is reported by its "error:" line, not the usage hint after it; an unknown --custom points at doctor', () => {
  assert.is(debugError("error: unknown flag: --custom\nSee 'kubectl debug --help' for usage.\n"), 'error: unknown flag: --custom (this kubectl is too old for the probes: npx zx scripts/doctor.mts)')
  assert.is(debugError('Error from server (NotFound): pods "x" not found\n'), 'Error from server (NotFound): pods "x" not found')
  assert.is(debugError(''), undefined)
})

test.run()
