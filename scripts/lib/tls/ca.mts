// The platform's local CA, created once and kept in the state dir (<STATE_DIR>/tls/ca.crt, ca.key mode 0600) so a
// user trusts it once and keeps trusting it across down/up and cluster re-creation (mkcert's lesson).
// Unlike mkcert's root it is name-constrained (critical): it can only vouch for localhost, *.localhost,
// 127.0.0.0/8 and ::1, so its key, were it ever stolen, could not impersonate any real site to a machine that
// trusts it. Long-lived (10 years) and RSA 3072 like mkcert's, so it outlives the NIST 2030 horizon for 2048.
// Reading uses Node's X509Certificate; node-forge is loaded only to create a CA (x509.mts).

import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { EXIT, StepError } from '../shell/errors.mts'
import { registerSecret } from '../shell/redact.mts'
import { writeStateFile } from '../shell/state.mts'
import { buildCertificate, generateRsaKey, type NameConstraintSet } from './x509.mts'

export const CA_PERMITTED: NameConstraintSet = { dns: ['localhost'], ips: ['127.0.0.0/8', '::1/128'] }
export const CA_KEY_BITS = 3072
export const CA_YEARS = 10
/** warn this long before the CA expires */
const EXPIRY_WARNING_MS = 30 * 24 * 3600 * 1000

export interface CaPaths { dir: string; cert: string; key: string }

export const caPaths = (stateDir: string): CaPaths => {
  const dir = path.join(stateDir, 'tls')
  return { dir, cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') }
}

export interface CaMaterial { certPem: string; keyPem: string }

/** The local CA's certificate file when there is one (for summaries: no parsing, no key). */
export function existingCaFile(stateDir: string): string | undefined {
  const { cert } = caPaths(stateDir)
  try { return fs.statSync(cert).isFile() ? cert : undefined } catch { return undefined }
}

export interface LocalCa extends CaMaterial {
  paths: CaPaths
  /** subject CN, e.g. "platform local CA alice@laptop" */
  name: string
  /** SHA-256 fingerprint as openssl prints it (AB:CD:...) */
  fingerprint: string
  notAfter: Date
}

/** "platform local CA <user>@<host>", within the 64 characters X.520 allows a CN. */
export function caName(user?: string, host?: string): { commonName: string; organization: string; organizationalUnit: string } {
  let u = user
  if (!u) {
    try { u = os.userInfo().username } catch { u = process.env.USER ?? process.env.USERNAME ?? 'user' }
  }
  const who = `${u}@${host ?? os.hostname()}`.slice(0, 64)
  return { commonName: `platform local CA ${who}`.slice(0, 64), organization: 'platform local CA', organizationalUnit: who }
}

/** Create a new CA in memory (never written here). */
export async function createCa(o: { bits?: number; now?: Date; years?: number; user?: string; host?: string } = {}): Promise<CaMaterial> {
  const now = o.now ?? new Date()
  const key = generateRsaKey(o.bits ?? CA_KEY_BITS)
  registerSecret(key.keyPem)
  const notAfter = new Date(now)
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + (o.years ?? CA_YEARS))
  const certPem = await buildCertificate({
    subject: caName(o.user, o.host),
    publicKeyPem: key.publicKeyPem,
    issuer: 'self',
    selfKeyPem: key.keyPem,
    // a minute of slack for clocks (containers, VMs) a little behind this one
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    ca: { pathLen: 0, permitted: CA_PERMITTED },
  })
  return { certPem, keyPem: key.keyPem }
}

const problem = (message: string, hint: string) => new StepError({ step: 'tls', message, hint, exitCode: EXIT.precondition })

const recreateHint = (p: CaPaths) => `move ${p.dir} away (or delete it) and re-run: up creates a new local CA there, which everything that trusted the old one must trust anew`

export type CaObservation =
  | { state: 'absent' }
  /** a previous run was interrupted between the two files, or one was deleted: a new CA is needed */
  | { state: 'incomplete'; present: 'cert' | 'key' }
  | { state: 'expired'; notAfter: Date }
  | { state: 'ok'; ca: LocalCa; warnings: string[] }

/**
 * What is in the state dir. Throws a StepError for anything that is not ours to overwrite: a file where the tls
 * directory belongs, files that are not a PEM certificate/key, or a key that does not belong to the certificate.
 */
export function observeCa(stateDir: string, now = new Date()): CaObservation {
  const p = caPaths(stateDir)
  if (fs.existsSync(p.dir) && !fs.statSync(p.dir).isDirectory()) throw problem(`${p.dir} is a file, not a directory`, 'move that file away; up keeps the local CA in that directory')
  const isFile = (f: string) => {
    if (!fs.existsSync(f)) return false
    if (!fs.statSync(f).isFile()) throw problem(`${f} is not a regular file`, recreateHint(p))
    return true
  }
  const hasCert = isFile(p.cert)
  const hasKey = isFile(p.key)
  if (!hasCert && !hasKey) return { state: 'absent' }
  if (!hasCert || !hasKey) return { state: 'incomplete', present: hasCert ? 'cert' : 'key' }
  let cert: crypto.X509Certificate
  const certPem = fs.readFileSync(p.cert, 'utf8')
  try { cert = new crypto.X509Certificate(certPem) } catch { throw problem(`${p.cert} is not a PEM certificate`, recreateHint(p)) }
  const keyPem = fs.readFileSync(p.key, 'utf8')
  registerSecret(keyPem)
  let key: crypto.KeyObject
  try { key = crypto.createPrivateKey(keyPem) } catch { throw problem(`${p.key} is not a PEM private key`, recreateHint(p)) }
  if (!cert.checkPrivateKey(key)) throw problem(`${p.key} is not the key of the certificate ${p.cert}`, recreateHint(p))
  if (!cert.ca) throw problem(`${p.cert} is not a CA certificate`, recreateHint(p))
  const notAfter = new Date(cert.validTo)
  if (notAfter.getTime() <= now.getTime()) return { state: 'expired', notAfter }
  const warnings: string[] = []
  const mode = fs.statSync(p.key).mode & 0o777
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    fs.chmodSync(p.key, 0o600)
    warnings.push(`${p.key} was readable by others (mode ${mode.toString(8)}); set to 0600`)
  }
  if (notAfter.getTime() - now.getTime() < EXPIRY_WARNING_MS) warnings.push(`the local CA expires on ${notAfter.toISOString().slice(0, 10)}; move ${p.dir} away before then and re-run up for a new one`)
  const name = /CN=([^\n]+)/.exec(cert.subject)?.[1] ?? cert.subject
  return { state: 'ok', ca: { certPem, keyPem, paths: p, name, fingerprint: cert.fingerprint256, notAfter }, warnings }
}

/** Write a CA into the state dir: the key first (0600 from the moment it exists), then the certificate. */
export function storeCa(stateDir: string, m: CaMaterial): void {
  const p = caPaths(stateDir)
  // Recorded in the state manifest as kept: a plain `down` leaves the CA, so whatever trusts it keeps working.
  const rel = (f: string) => path.relative(stateDir, f)
  writeStateFile(stateDir, rel(p.key), m.keyPem, { mode: 0o600, keep: true })
  fs.chmodSync(p.dir, 0o700)
  writeStateFile(stateDir, rel(p.cert), m.certPem, { mode: 0o644, keep: true })
}

export interface EnsuredCa {
  /** undefined only under dry-run when a CA would have to be created */
  ca?: LocalCa
  action: 'reused' | 'created' | 'would-create'
  /** why a new one was needed, for the log */
  reason?: string
  warnings: string[]
}

/** Reuse the stored CA, or create one (not under dry-run). */
export async function ensureCa(stateDir: string, o: { dryRun: boolean; now?: Date; bits?: number }): Promise<EnsuredCa> {
  const now = o.now ?? new Date()
  const seen = observeCa(stateDir, now)
  if (seen.state === 'ok') return { ca: seen.ca, action: 'reused', warnings: seen.warnings }
  const p = caPaths(stateDir)
  const reason = seen.state === 'absent' ? undefined
    : seen.state === 'expired' ? `the local CA in ${p.dir} expired on ${seen.notAfter.toISOString().slice(0, 10)}`
    : seen.present === 'cert' ? `${p.key} is missing` : `${p.cert} is missing`
  const warnings = reason && (seen.state === 'expired' || (seen.state === 'incomplete' && seen.present === 'cert'))
    ? [`${reason}: a new local CA replaces it; trust the new one (see "Trusting the local CA" in README.md)`]
    : []
  if (o.dryRun) return { action: 'would-create', reason, warnings }
  storeCa(stateDir, await createCa({ now, bits: o.bits }))
  const made = observeCa(stateDir, now)
  if (made.state !== 'ok') throw problem(`the new local CA in ${p.dir} cannot be read back`, recreateHint(p))
  return { ca: made.ca, action: 'created', reason, warnings: [...warnings, ...made.warnings] }
}
