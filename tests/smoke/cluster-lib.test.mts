// Cluster-side pieces of the smoke run with a stub runner: discovery from kubectl JSON, the greeting's
// redaction rule, Flux/HPA verdicts, bounded polling.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { clearSecrets, redact } from '../../scripts/lib/shell/redact.mts'
import type { Runner, RunResult } from '../../scripts/lib/shell/run.mts'
import { checkFlux, discoverApp, looksLikeCredential, pollUntil, probeHpa } from '../../scripts/lib/smoke/cluster.mts'

function stubRunner(answer: (args: readonly string[]) => { ok: boolean; stdout?: string; stderr?: string }): Runner & { calls: string[][] } {
  const calls: string[][] = []
  return {
    calls, dryRun: false, verbose: false, planned: [], aborted: false,
    async run(_bin: string, args: readonly string[]): Promise<RunResult> {
      calls.push([...args])
      const a = answer(args)
      return { ok: a.ok, stdout: a.stdout ?? '', stderr: a.stderr ?? '', exitCode: a.ok ? 0 : 1, dryRun: false, durationMs: 1 }
    },
    start() { throw new Error('not used') },
    async killAll() {},
    abort() {},
  } as Runner & { calls: string[][] }
}

const objects = (greeting: string, failRate?: string): Record<string, unknown> => ({
  service: { spec: { ports: [{ name: 'http', port: 80 }] } },
  configmap: { data: failRate === undefined ? {} : { FAIL_RATE: failRate } },
  secret: { data: { GREETING: Buffer.from(greeting).toString('base64') } },
})

test('discovery reads FAIL_RATE, the Service port and the base64 GREETING, always naming the context', async () => {
  const r = stubRunner((args) => ({ ok: true, stdout: JSON.stringify(objects('Hello from staging', '0.05')[args[3]!]) }))
  const d = await discoverApp(r, 'kind-platform', 'staging')
  assert.ok(d.ok)
  if (!d.ok) return
  assert.equal(d.facts, { namespace: 'demo-staging', servicePort: 80, failRate: 0.05, greeting: 'Hello from staging' })
  assert.ok(r.calls.every((c) => c[0] === '--context' && c[1] === 'kind-platform' && c.includes('demo-staging')))
})

test('discovery failures name the object and kubectl\'s reason; a bad FAIL_RATE is named', async () => {
  const missing = stubRunner((args) => (args[3] === 'secret' ? { ok: false, stderr: 'Error from server (NotFound): secrets "demo-secret" not found\n' } : { ok: true, stdout: JSON.stringify(objects('x', '0')[args[3]!]) }))
  const d = await discoverApp(missing, 'c', 'dev')
  assert.not.ok(d.ok)
  assert.match(d.message, 'Secret demo-secret: Error from server (NotFound): secrets "demo-secret" not found')
  const bad = stubRunner((args) => ({ ok: true, stdout: JSON.stringify(objects('x', '20%')[args[3]!]) }))
  assert.match((await discoverApp(bad, 'c', 'dev')).message, 'FAIL_RATE="20%", not a number from 0 to 1')
})

test('the greeting is shown unless it looks like a credential, then it is redacted everywhere', async () => {
  clearSecrets()
  assert.not.ok(looksLikeCredential('Hello from the platform demo'))
  assert.not.ok(looksLikeCredential('hi'))
  assert.ok(looksLikeCredential('ghp_16C7e42F292c6912E7710c838347Ae178B4a'))
  const token = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'
  const r = stubRunner((args) => ({ ok: true, stdout: JSON.stringify(objects(token, '0')[args[3]!]) }))
  await discoverApp(r, 'c', 'dev')
  assert.is(redact(`greeting "${token}"`), 'greeting "***"')
  clearSecrets()
})

test('flux: not Ready and suspended objects are failures, with their reasons as details', async () => {
  const item = (kind: string, name: string, status: string, extra: Record<string, unknown> = {}) => ({ kind, metadata: { name, namespace: 'flux-system' }, status: { conditions: [{ type: 'Ready', status, reason: status === 'True' ? 'Succeeded' : 'BuildFailed', message: 'kustomize build failed' }] }, ...extra })
  const r = stubRunner(() => ({ ok: true, stdout: JSON.stringify({ items: [item('Kustomization', 'apps', 'True'), item('Kustomization', 'infra', 'False'), item('HelmRelease', 'x', 'True', { spec: { suspend: true } })] }) }))
  const v = await checkFlux(r, 'c')
  assert.not.ok(v.ok)
  assert.is(v.message, '2 of 3 not Ready: Kustomization/flux-system/infra, HelmRelease/flux-system/x')
  assert.match(v.details!, 'Kustomization/flux-system/infra: BuildFailed: kustomize build failed')
  assert.match(v.details!, 'HelmRelease/flux-system/x: suspended')
  assert.not.ok((await checkFlux(stubRunner(() => ({ ok: true, stdout: '{"items":[]}' })), 'c')).ok)
})

test('hpa: empty current values do not count as metrics', async () => {
  const hpa = (current: unknown) => stubRunner(() => ({ ok: true, stdout: JSON.stringify({ items: [{ metadata: { name: 'demo' }, status: { currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current } }] } }] }) }))
  assert.not.ok((await probeHpa(hpa({}), 'c', 'demo-dev')).ok)
  const ok = await probeHpa(hpa({ averageUtilization: 12, averageValue: '3m' }), 'c', 'demo-dev')
  assert.ok(ok.ok)
  assert.is(ok.message, 'current metrics: cpu 12%')
})

test('pollUntil stops at the first pass, and gives up with the last reason and how long it waited', async () => {
  let n = 0
  const passed = await pollUntil(async () => ({ ok: ++n === 3, message: `try ${n}` }), 10_000, { everyMs: 1 })
  assert.equal([passed.ok, n], [true, 3])
  const failed = await pollUntil(async () => ({ ok: false, message: 'nope' }), 30, { everyMs: 10 })
  assert.not.ok(failed.ok)
  assert.match(failed.message, /^nope \(still so after \d+s\)$/)
})

test.run()
