// What an HTTPS check trusts and how a rejected certificate is told. Trust = the system store (Node's bundled
// Mozilla roots, the OS store, NODE_EXTRA_CA_CERTS) plus the CAs a --ca-file names or, by default, the platform's
// own CA. One SecureContext per run: building it parses a few hundred roots, which must not happen per request.
// Verification is never optional here: every caller passes rejectUnauthorized: true explicitly, which also wins
// over NODE_TLS_REJECT_UNAUTHORIZED=0 (Node only uses that variable as the default of an unset option).

import crypto from 'node:crypto'
import fs from 'node:fs'
import tls from 'node:tls'
import { EXIT, StepError } from '../shell/errors.mts'
import { caPaths } from './ca.mts'

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

const usage = (message: string, hint: string) => new StepError({ step: 'flags', message, hint, exitCode: EXIT.usage })

/** The certificates of a PEM file given on the command line; exit 2 naming the file for anything else. */
export function readCaFile(file: string, flag = '--ca-file'): string[] {
  const hint = `${flag} takes a PEM file with one or more certificates (-----BEGIN CERTIFICATE-----), e.g. .platform/tls/ca.crt`
  let st: fs.Stats
  try { st = fs.statSync(file) } catch { throw usage(`${flag} ${file}: no such file`, hint) }
  if (st.isDirectory()) throw usage(`${flag} ${file} is a directory, not a PEM file`, hint)
  // a FIFO or a device would block the read forever
  if (!st.isFile()) throw usage(`${flag} ${file} is not a regular file`, hint)
  let text: string
  try { text = fs.readFileSync(file, 'utf8') } catch (e) { throw usage(`${flag} ${file} cannot be read: ${(e as Error).message}`, hint) }
  const pems = text.match(PEM_CERT) ?? []
  if (!pems.length) throw usage(`${flag} ${file} holds no PEM certificate`, hint)
  pems.forEach((pem, i) => {
    try { new crypto.X509Certificate(pem) } catch { throw usage(`${flag} ${file}: certificate ${i + 1} of ${pems.length} is not a valid X.509 certificate`, hint) }
  })
  return pems
}

export interface Trust {
  /** for reports: "system trust store + <file>" */
  description: string
  context: tls.SecureContext
}

function systemRoots(): string[] {
  const all = new Set<string>()
  for (const kind of ['default', 'system'] as const) {
    try { for (const c of tls.getCACertificates(kind)) all.add(c) } catch { /* no such store on this platform */ }
  }
  return [...all]
}

/**
 * Trust for HTTPS checks: the system store plus `extra` (from --ca-file), or plus the platform's own CA when
 * `stateDir` holds one and no --ca-file was given.
 */
export function buildTrust(o: { caFile?: string; stateDir?: string }): Trust {
  let extra: string[] = []
  let description = 'system trust store'
  if (o.caFile) {
    extra = readCaFile(o.caFile)
    description += ` + ${o.caFile}`
  } else if (o.stateDir) {
    const file = caPaths(o.stateDir).cert
    try {
      if (!fs.statSync(file).isFile()) throw new Error('not a regular file')
      const pems = fs.readFileSync(file, 'utf8').match(PEM_CERT) ?? []
      for (const p of pems) new crypto.X509Certificate(p)
      if (pems.length) { extra = pems; description += ` + the platform's local CA (${file})` }
    } catch { /* no platform CA (yet): the system store alone */ }
  }
  return { description, context: tls.createSecureContext({ ca: [...systemRoots(), ...extra] }) }
}

export type CertificateProblem = 'unknown issuer' | 'host name mismatch' | 'expired' | 'not yet valid' | 'outside the CA name constraints' | 'rejected'

const KINDS: Record<string, CertificateProblem> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown issuer',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown issuer',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown issuer',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown issuer',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown issuer',
  CERT_UNTRUSTED: 'unknown issuer',
  ERR_TLS_CERT_ALTNAME_INVALID: 'host name mismatch',
  HOSTNAME_MISMATCH: 'host name mismatch',
  IP_ADDRESS_MISMATCH: 'host name mismatch',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not yet valid',
  PERMITTED_SUBTREE_VIOLATION: 'outside the CA name constraints',
  EXCLUDED_SUBTREE_VIOLATION: 'outside the CA name constraints',
}

const NEXT: Record<CertificateProblem, string> = {
  'unknown issuer': 'the certificate is not signed by a CA this check trusts: pass the CA that signed it with --ca-file <pem>',
  'host name mismatch': 'the certificate is not issued for the name this check connects to',
  expired: 'the certificate must be renewed',
  'not yet valid': 'the certificate is dated in the future (is a clock wrong?)',
  'outside the CA name constraints': 'the CA may only sign localhost names and loopback addresses',
  rejected: 'see the code above',
}

/** A certificate verification failure, told in words, or undefined for anything else (refused, reset, ...). */
export function describeCertificateError(e: NodeJS.ErrnoException): { problem: CertificateProblem; message: string } | undefined {
  const code = e.code ?? ''
  // Node has no code of its own for OpenSSL's name-constraint errors (it says UNSPECIFIED): go by the text
  const problem = KINDS[code]
    ?? (/subtree violation/i.test(e.message) ? 'outside the CA name constraints' : undefined)
    ?? (/^(CERT_|UNABLE_TO_|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED|ERR_TLS_CERT_)/.test(code) ? 'rejected' : undefined)
  if (!problem) return undefined
  // Node suggests --use-system-ca for an unknown issuer; the system store is already part of what we trust
  const text = e.message.replace(/;\s*if the root CA is installed locally.*$/i, '')
  return { problem, message: `certificate ${problem === 'rejected' ? 'rejected' : `problem: ${problem}`} (${code}: ${text}); ${NEXT[problem]}` }
}
