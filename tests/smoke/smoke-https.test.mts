// scripts/smoke.mts --url https://... with real TLS: the real demo app (a process, plain HTTP) behind a
// TLS-terminating TCP proxy started in this test, with a CA and server certificates generated here by the
// product's own CA code. Trusted -> pass; untrusted, another CA, wrong name, expired, outside the CA's name
// constraints -> the healthz check fails naming the certificate problem, and the rest is skipped at once.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript, type ProcResult } from '../helpers/proc.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'
import { issueLeaf, startTlsProxy, testCa, type TlsProxy } from '../helpers/tls.mts'
import { startApp, type RunningApp } from './support.mts'

const DAY = 24 * 3600 * 1000
const dir = tempDir('smoke-https-')
const emptyState = path.join(dir, 'state-empty')
const env = (extra: Record<string, string> = {}) => ({ ...process.env, PLATFORM_ENV_FILE: '/dev/null', NO_COLOR: '1', STATE_DIR: emptyState, ...extra })
const smoke = (args: string[], extra: Record<string, string> = {}) => runScript('smoke', args, { env: env(extra), timeoutMs: 90_000 })

interface JsonReport { ok: boolean; properties?: Record<string, unknown>; cases: { name: string; status: string; message?: string }[] }
function json(r: ProcResult): JsonReport {
  try { return JSON.parse(r.stdout) as JsonReport } catch { throw new Error(`stdout is not the JSON report:\n${r.stdout}\n--- stderr ---\n${r.stderr}`) }
}
const statuses = (rep: JsonReport) => rep.cases.map((c) => `${c.name}:${c.status}`)

// the world: one app, one CA like the platform's, another CA, and a proxy per certificate
const ca = await testCa()
const caFile = path.join(dir, 'ca.pem')
fs.writeFileSync(caFile, ca.certPem)
const otherCa = await testCa('someone', 'elsewhere')
const otherCaFile = path.join(dir, 'other-ca.pem')
fs.writeFileSync(otherCaFile, otherCa.certPem)
const app: RunningApp = await startApp({ GREETING: 'Hello over TLS' })
const appPort = Number(new URL(app.base).port)
const proxies: TlsProxy[] = []
const serve = async (cert: Parameters<typeof startTlsProxy>[1]['*']) => {
  const p = await startTlsProxy(appPort, { '*': cert })
  proxies.push(p)
  return `https://127.0.0.1:${p.port}`
}
const trusted = await serve(await issueLeaf(ca, { ips: ['127.0.0.1'], dnsNames: ['localhost'] }))
const byOtherCa = await serve(await issueLeaf(otherCa))
const wrongName = await serve(await issueLeaf(ca, { dnsNames: ['somewhere-else.localhost'] }))
const expired = await serve(await issueLeaf(ca, { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) }))
const notYet = await serve(await issueLeaf(ca, { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) }))
const outsideConstraints = await serve(await issueLeaf(ca, { dnsNames: ['example.com'], ips: ['127.0.0.1'] }))

test.after(async () => {
  await Promise.all(proxies.map((p) => p.close()))
  await app.stop()
  removeDir(dir)
})

test('--url https://127.0.0.1:PORT --ca-file ca.pem: a certificate that CA signed passes every check', async () => {
  const r = await smoke(['--url', trusted, '--ca-file', caFile, '--requests', '6', '--expect-greeting', 'Hello over TLS', '--reporter', 'json'])
  assert.is(r.code, 0, r.stderr)
  const rep = json(r)
  assert.equal(statuses(rep), ['healthz:passed', 'readyz:passed', 'work:passed', 'metrics:passed'])
  assert.match(String(rep.properties?.trust), `system trust store + ${caFile}`)
})

test('the certificate problem is named: no --ca-file, another CA, wrong host name, expired, not yet valid', async () => {
  const cases = [
    [['--url', trusted], 'certificate problem: unknown issuer'],
    [['--url', trusted, '--ca-file', otherCaFile], 'certificate problem: unknown issuer'],
    [['--url', byOtherCa, '--ca-file', caFile], 'certificate problem: unknown issuer'],
    [['--url', wrongName, '--ca-file', caFile], 'certificate problem: host name mismatch'],
    [['--url', expired, '--ca-file', caFile], 'certificate problem: expired'],
    [['--url', notYet, '--ca-file', caFile], 'certificate problem: not yet valid'],
    // the CA is name-constrained to localhost names and loopback: a certificate for example.com does not pass
    [['--url', outsideConstraints, '--ca-file', caFile], 'certificate problem: outside the CA name constraints'],
  ] as const
  const results = await Promise.all(cases.map(([args]) => smoke([...args, '--ready-timeout', '60', '--reporter', 'json'])))
  cases.forEach(([args, problem], i) => {
    const r = results[i]!
    const what = args.join(' ')
    assert.is(r.code, 1, `${what}: ${r.stderr}`)
    const rep = json(r)
    assert.equal(statuses(rep), ['healthz:failed', 'readyz:skipped', 'work:skipped', 'metrics:skipped'], what)
    assert.match(rep.cases[0]!.message ?? '', problem, what)
    assert.match(rep.cases[1]!.message ?? '', 'certificate', `${what}: skipped because of the certificate`)
    assert.match(r.stderr, 'smoke: 1 check failed: url/healthz', what)
  })
  // what to do next: name the CA with --ca-file
  assert.match(json(results[0]!).cases[0]!.message ?? '', 'pass the CA that signed it with --ca-file')
})

test('verification cannot be turned off: NODE_TLS_REJECT_UNAUTHORIZED=0 still fails an untrusted certificate, and says it is ignored', async () => {
  const r = await smoke(['--url', trusted, '--reporter', 'json'], { NODE_TLS_REJECT_UNAUTHORIZED: '0' })
  assert.is(r.code, 1, r.stderr)
  assert.match(json(r).cases[0]!.message ?? '', 'unknown issuer')
  assert.match(r.stderr, 'NODE_TLS_REJECT_UNAUTHORIZED=0 is ignored')
})

test('without --ca-file the platform\'s own CA (<STATE_DIR>/tls/ca.crt) is trusted', async () => {
  const state = path.join(dir, 'state-with-ca')
  fs.mkdirSync(path.join(state, 'tls'), { recursive: true })
  fs.writeFileSync(path.join(state, 'tls', 'ca.crt'), ca.certPem)
  const r = await smoke(['--url', trusted, '--requests', '3', '--reporter', 'json'], { STATE_DIR: state })
  assert.is(r.code, 0, r.stderr)
  assert.match(String(json(r).properties?.trust), path.join(state, 'tls', 'ca.crt'))
})

test('https:// against a plain-HTTP server fails fast, saying there is no TLS there', async () => {
  const r = await smoke(['--url', app.base.replace('http:', 'https:'), '--ca-file', caFile, '--ready-timeout', '600', '--reporter', 'json'])
  assert.is(r.code, 1, r.stderr)
  const rep = json(r)
  // skipped, not polled until the ready timeout: no retry makes a plain-HTTP server speak TLS
  assert.equal(statuses(rep), ['healthz:failed', 'readyz:skipped', 'work:skipped', 'metrics:skipped'])
  assert.match(rep.cases[0]!.message ?? '', 'no TLS on the other end')
  assert.match(rep.cases[1]!.message ?? '', 'does not speak TLS (use http://, or the HTTPS port)')
})

test('--ca-file that is missing, a directory, not PEM, or given with an http:// URL: exit 2 naming it, nothing checked', async () => {
  const notPem = path.join(dir, 'not.pem')
  fs.writeFileSync(notPem, 'hello\n')
  const fifo = path.join(dir, 'fifo.pem')
  execFileSync('mkfifo', [fifo])
  const brokenPem = path.join(dir, 'broken.pem')
  fs.writeFileSync(brokenPem, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n')
  const cases = [
    [['--url', trusted, '--ca-file', path.join(dir, 'nope.pem')], `--ca-file ${path.join(dir, 'nope.pem')}: no such file`],
    [['--url', trusted, '--ca-file', dir], `--ca-file ${dir} is a directory, not a PEM file`],
    [['--url', trusted, '--ca-file', notPem], `--ca-file ${notPem} holds no PEM certificate`],
    [['--url', trusted, '--ca-file', brokenPem], `--ca-file ${brokenPem}: certificate 1 of 1 is not a valid X.509 certificate`],
    // a FIFO would block a read forever: refused before reading
    [['--url', trusted, '--ca-file', fifo], `--ca-file ${fifo} is not a regular file`],
    [['--url', app.base, '--ca-file', caFile], '--ca-file only applies to https:// URLs'],
    // a flag given without its value (CONTRACTS.md)
    [['--url', trusted, '--ca-file'], '--ca-file needs a value: --ca-file <pem>'],
    [['--url', trusted, '--ca-file=', '--requests', '3'], '--ca-file needs a value: --ca-file <pem>'],
  ] as const
  const results = await Promise.all(cases.map(([args]) => smoke([...args])))
  cases.forEach(([args, msg], i) => {
    assert.is(results[i]!.code, 2, `${args.join(' ')}: ${results[i]!.stderr}`)
    assert.match(results[i]!.stderr, msg)
    assert.is(results[i]!.stdout, '', 'no report: nothing was checked')
  })
})

test.run()
