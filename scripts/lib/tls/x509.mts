// Building X.509 certificates in-process. node-forge assembles and signs the certificate (Node's crypto cannot
// create certificates); the RSA keys come from Node's own crypto (native, fast). node-forge is imported lazily,
// on the one run that creates the CA (and in tests), so every other command starts without it.

import crypto from 'node:crypto'
import type Forge from 'node-forge'

type ForgeModule = typeof Forge

let forgeModule: Promise<ForgeModule> | undefined
async function loadForge(): Promise<ForgeModule> {
  forgeModule ??= import('node-forge').then((m) => ((m as { default?: ForgeModule }).default ?? (m as unknown as ForgeModule)))
  return forgeModule
}

export interface KeyPair {
  /** PKCS#8 PEM ("PRIVATE KEY") */
  keyPem: string
  /** SPKI PEM ("PUBLIC KEY") */
  publicKeyPem: string
}

/** An RSA key pair from Node's crypto. */
export function generateRsaKey(bits: number): KeyPair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 })
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

export interface NameConstraintSet {
  /** dNSName subtrees: "localhost" permits localhost and every name under it (RFC 5280 4.2.1.10) */
  dns: readonly string[]
  /** iPAddress subtrees in CIDR notation: 127.0.0.0/8, ::1/128 */
  ips: readonly string[]
}

export interface CertificateSpec {
  subject: { commonName?: string; organization?: string; organizationalUnit?: string }
  publicKeyPem: string
  /** who signs: the subject itself (a root), or a CA */
  issuer: 'self' | { certPem: string; keyPem: string }
  /** the signer's private key when issuer is 'self' */
  selfKeyPem?: string
  notBefore: Date
  notAfter: Date
  ca?: { pathLen: number; permitted?: NameConstraintSet }
  dnsNames?: readonly string[]
  ips?: readonly string[]
}

/** A positive serial number of 16 random bytes, as hex (RFC 5280: positive, at most 20 octets). */
function serialHex(): string {
  const b = crypto.randomBytes(16)
  b[0] = (b[0]! & 0x7f) | 0x01
  return b.toString('hex')
}

/** "127.0.0.0/8" -> address bytes followed by mask bytes, as forge's binary string. */
export function cidrBytes(cidr: string): string {
  const [addr, lenText] = cidr.split('/') as [string, string | undefined]
  const v6 = addr.includes(':')
  const size = v6 ? 16 : 4
  const bits = lenText === undefined ? size * 8 : Number(lenText)
  if (!Number.isInteger(bits) || bits < 0 || bits > size * 8) throw new Error(`not a CIDR: ${cidr}`)
  let bytes: number[]
  if (v6) {
    const [head, tail] = addr.split('::') as [string, string | undefined]
    const groups = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : [])
    const h = groups(head)
    const t = groups(tail)
    const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t]
    if (all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) throw new Error(`not an IPv6 address: ${addr}`)
    bytes = all.flatMap((g) => [g >> 8, g & 0xff])
  } else {
    bytes = addr.split('.').map(Number)
    if (bytes.length !== 4 || bytes.some((x) => !(Number.isInteger(x) && x >= 0 && x <= 255))) throw new Error(`not an IPv4 address: ${addr}`)
  }
  const mask = Array.from({ length: size }, (_, i) => {
    const left = Math.max(0, Math.min(8, bits - i * 8))
    return (0xff << (8 - left)) & 0xff
  })
  return String.fromCharCode(...bytes.map((x, i) => x & mask[i]!), ...mask)
}

function nameConstraintsValue(forge: ForgeModule, permitted: NameConstraintSet): Forge.asn1.Asn1 {
  const { asn1 } = forge
  const subtree = (name: Forge.asn1.Asn1) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [name])
  const subtrees = [
    ...permitted.dns.map((d) => subtree(asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, d))),
    ...permitted.ips.map((ip) => subtree(asn1.create(asn1.Class.CONTEXT_SPECIFIC, 7, false, cidrBytes(ip)))),
  ]
  // NameConstraints ::= SEQUENCE { permittedSubtrees [0] IMPLICIT GeneralSubtrees }
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, subtrees)])
}

/** Build and sign one certificate; returns its PEM. */
export async function buildCertificate(spec: CertificateSpec): Promise<string> {
  const forge = await loadForge()
  const { pki } = forge
  const cert = pki.createCertificate()
  cert.publicKey = pki.publicKeyFromPem(spec.publicKeyPem)
  cert.serialNumber = serialHex()
  cert.validity.notBefore = spec.notBefore
  cert.validity.notAfter = spec.notAfter
  const attrs: Forge.pki.CertificateField[] = []
  if (spec.subject.organization) attrs.push({ name: 'organizationName', value: spec.subject.organization })
  if (spec.subject.organizationalUnit) attrs.push({ shortName: 'OU', value: spec.subject.organizationalUnit })
  if (spec.subject.commonName) attrs.push({ name: 'commonName', value: spec.subject.commonName })
  cert.setSubject(attrs)
  let signer: Forge.pki.PrivateKey
  let issuerKeyId: string
  if (spec.issuer === 'self') {
    if (!spec.selfKeyPem) throw new Error('a self-signed certificate needs selfKeyPem')
    cert.setIssuer(attrs)
    signer = pki.privateKeyFromPem(spec.selfKeyPem)
    issuerKeyId = cert.generateSubjectKeyIdentifier().getBytes()
  } else {
    const issuer = pki.certificateFromPem(spec.issuer.certPem)
    cert.setIssuer(issuer.subject.attributes)
    signer = pki.privateKeyFromPem(spec.issuer.keyPem)
    issuerKeyId = issuer.generateSubjectKeyIdentifier().getBytes()
  }
  const extensions: Record<string, unknown>[] = []
  if (spec.ca) {
    extensions.push(
      { name: 'basicConstraints', cA: true, pathLenConstraint: spec.ca.pathLen, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    )
    if (spec.ca.permitted) extensions.push({ id: '2.5.29.30', critical: true, value: nameConstraintsValue(forge, spec.ca.permitted) })
  } else {
    extensions.push(
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
    )
  }
  const altNames = [...(spec.dnsNames ?? []).map((value) => ({ type: 2, value })), ...(spec.ips ?? []).map((ip) => ({ type: 7, ip }))]
  if (altNames.length) extensions.push({ name: 'subjectAltName', altNames })
  extensions.push({ name: 'subjectKeyIdentifier' }, { name: 'authorityKeyIdentifier', keyIdentifier: issuerKeyId })
  cert.setExtensions(extensions)
  cert.sign(signer as Forge.pki.rsa.PrivateKey, forge.md.sha256.create())
  return pki.certificateToPem(cert)
}
