// The local CA on disk (lib/tls/ca.mts): created once with the key at mode 0600, reused as is afterwards (the
// user's one-time trust keeps working), never overwritten when what is there is not ours to replace, and a new
// one only when the old one cannot serve (expired, half of it gone) — with a warning to trust the new one.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import forge from 'node-forge'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { caPaths, CA_PERMITTED, createCa, ensureCa, existingCaFile, observeCa, storeCa } from '../../scripts/lib/tls/ca.mts'
import { trustInstructions } from '../../scripts/lib/tls/trust.mts'
import { cidrBytes } from '../../scripts/lib/tls/x509.mts'
import { isStepError } from '../../scripts/lib/shell/errors.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const dirs: string[] = []
const fresh = () => { const d = tempDir('tls-ca-'); dirs.push(d); return d }
test.after(() => { for (const d of dirs) removeDir(d) })
const mode = (f: string) => fs.statSync(f).mode & 0o777

function throwsStep(fn: () => unknown, message: RegExp, exitCode = 4): void {
  try {
    fn()
  } catch (e) {
    assert.ok(isStepError(e), String(e))
    assert.match((e as Error).message, message)
    assert.is((e as { exitCode: number }).exitCode, exitCode)
    return
  }
  assert.unreachable(`expected a StepError matching ${message}`)
}

test('the CA: named for user@host, a CA for end-entity certificates only, 10 years, name-constrained (critical) to localhost and loopback', async () => {
  const now = new Date('2026-12-01T00:00:00Z')
  const ca = await createCa({ bits: 2048, user: 'alice', host: 'laptop', now })
  const x = new crypto.X509Certificate(ca.certPem)
  assert.ok(x.ca)
  assert.match(x.subject, 'CN=platform local CA alice@laptop')
  assert.match(x.subject, 'O=platform local CA')
  assert.is(x.subject, x.issuer, 'self-signed root')
  assert.ok(x.verify(x.publicKey))
  assert.is(new Date(x.validTo).getUTCFullYear(), 2036)
  assert.ok(x.checkPrivateKey(crypto.createPrivateKey(ca.keyPem)))
  const f = forge.pki.certificateFromPem(ca.certPem)
  const bc = f.getExtension('basicConstraints') as { cA: boolean; pathLenConstraint: number; critical: boolean }
  assert.equal([bc.cA, bc.pathLenConstraint, bc.critical], [true, 0, true])
  const ku = f.getExtension('keyUsage') as { keyCertSign: boolean; cRLSign: boolean; digitalSignature: boolean; critical: boolean }
  assert.equal([ku.keyCertSign, ku.cRLSign, ku.critical], [true, true, true])
  const nc = f.getExtension('nameConstraints') as { critical: boolean; value: string }
  assert.ok(nc, 'has name constraints')
  assert.is(nc.critical, true)
  // the DER of the extension holds exactly the permitted subtrees: dNSName localhost and the loopback ranges
  const der = nc.value
  assert.ok(der.includes('localhost'))
  for (const ip of CA_PERMITTED.ips) assert.ok(der.includes(cidrBytes(ip)), ip)
})

test('cidrBytes: address and mask bytes as RFC 5280 wants them in an iPAddress constraint', () => {
  const hex = (s: string) => Buffer.from(s, 'binary').toString('hex')
  assert.is(hex(cidrBytes('127.0.0.0/8')), '7f000000ff000000')
  assert.is(hex(cidrBytes('10.1.2.3/16')), '0a010000ffff0000')
  assert.is(hex(cidrBytes('::1/128')), `${'00'.repeat(15)}01${'ff'.repeat(16)}`)
  assert.throws(() => cidrBytes('300.0.0.1/8'), /not an IPv4 address/)
})

test('ensureCa: created once (key 0600 in a 0700 dir), then reused untouched: same fingerprint, same bytes', async () => {
  const state = fresh()
  const first = await ensureCa(state, { dryRun: false, bits: 2048 })
  assert.is(first.action, 'created')
  const p = caPaths(state)
  assert.is(mode(p.key), 0o600)
  assert.is(mode(p.dir), 0o700)
  assert.is(mode(p.cert), 0o644)
  assert.is(existingCaFile(state), p.cert)
  const bytes = fs.readFileSync(p.key, 'utf8')
  const mtime = fs.statSync(p.key).mtimeMs
  const second = await ensureCa(state, { dryRun: false, bits: 2048 })
  assert.is(second.action, 'reused')
  assert.is(second.ca!.fingerprint, first.ca!.fingerprint)
  assert.equal(second.warnings, [])
  assert.is(fs.readFileSync(p.key, 'utf8'), bytes)
  assert.is(fs.statSync(p.key).mtimeMs, mtime)
})

test('dry-run: says it would create the CA and writes nothing', async () => {
  const state = fresh()
  const r = await ensureCa(state, { dryRun: true })
  assert.is(r.action, 'would-create')
  assert.is(r.ca, undefined)
  assert.not.ok(fs.existsSync(caPaths(state).dir))
})

test('what is not ours to overwrite stops with a precondition naming the path: a file where the dir belongs, garbage, a foreign key', async () => {
  const a = fresh()
  fs.writeFileSync(path.join(a, 'tls'), 'not a directory')
  throwsStep(() => observeCa(a), /tls is a file, not a directory/)
  assert.is(fs.readFileSync(path.join(a, 'tls'), 'utf8'), 'not a directory', 'left as it was')

  const b = fresh()
  const ca = await createCa({ bits: 2048 })
  storeCa(b, { certPem: 'garbage\n', keyPem: ca.keyPem })
  throwsStep(() => observeCa(b), /ca\.crt is not a PEM certificate/)

  const c = fresh()
  const other = await createCa({ bits: 2048 })
  storeCa(c, { certPem: ca.certPem, keyPem: other.keyPem })
  throwsStep(() => observeCa(c), /ca\.key is not the key of the certificate/)
  await ensureCa(c, { dryRun: false }).then(() => assert.unreachable('must not replace a mismatched pair'), (e) => assert.match(e.message, /not the key/))
  assert.is(fs.readFileSync(caPaths(c).key, 'utf8'), other.keyPem, 'nothing overwritten')
})

test('a new CA only when the old one cannot serve: expired or its key gone (with a warning to trust the new one); a loose key mode is fixed', async () => {
  const expired = fresh()
  storeCa(expired, await createCa({ bits: 2048, now: new Date('2010-01-01T00:00:00Z'), years: 1 }))
  const r1 = await ensureCa(expired, { dryRun: false, bits: 2048 })
  assert.is(r1.action, 'created')
  assert.match(r1.warnings.join('\n'), /expired on 2011-01-01: a new local CA replaces it; trust the new one/)

  const noKey = fresh()
  const old = await createCa({ bits: 2048 })
  storeCa(noKey, old)
  fs.rmSync(caPaths(noKey).key)
  const r2 = await ensureCa(noKey, { dryRun: false, bits: 2048 })
  assert.is(r2.action, 'created')
  assert.match(r2.warnings.join('\n'), /ca\.key is missing: a new local CA replaces it/)
  assert.is.not(fs.readFileSync(caPaths(noKey).cert, 'utf8'), old.certPem)

  // interrupted between the two writes of a first run: the key alone, nobody can have trusted it yet
  const noCert = fresh()
  storeCa(noCert, old)
  fs.rmSync(caPaths(noCert).cert)
  const r3 = await ensureCa(noCert, { dryRun: false, bits: 2048 })
  assert.is(r3.action, 'created')
  assert.equal(r3.warnings, [])

  const loose = fresh()
  storeCa(loose, old)
  fs.chmodSync(caPaths(loose).key, 0o644)
  const r4 = await ensureCa(loose, { dryRun: false })
  assert.is(r4.action, 'reused')
  assert.match(r4.warnings.join('\n'), /was readable by others \(mode 644\); set to 0600/)
  assert.is(mode(caPaths(loose).key), 0o600)
})

test('trust instructions: macOS, Debian/Ubuntu, Fedora, Node (NODE_EXTRA_CA_CERTS) and curl (--cacert); paths with spaces quoted', () => {
  const lines = trustInstructions('.platform/tls/ca.crt', 'https://dev.demo.localhost:8443/')
  const text = lines.map((l) => `${l.where}: ${l.command}`).join('\n')
  assert.match(text, 'macOS: sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain .platform/tls/ca.crt')
  assert.match(text, 'sudo update-ca-certificates')
  assert.match(text, 'sudo trust anchor --store .platform/tls/ca.crt')
  assert.match(text, 'Node.js: export NODE_EXTRA_CA_CERTS="$PWD"/.platform/tls/ca.crt')
  assert.match(text, 'curl: curl --cacert .platform/tls/ca.crt https://dev.demo.localhost:8443/')
  const spaced = trustInstructions('/home/a b/ca.crt').map((l) => l.command).join('\n')
  assert.match(spaced, "--cacert '/home/a b/ca.crt'")
  assert.match(spaced, "NODE_EXTRA_CA_CERTS='/home/a b/ca.crt'")
})

test.run()
