// Real TLS for tests: a CA made by the product's own code (lib/tls/ca.mts, with a smaller key for speed), leaf
// certificates it signs (valid, expired, for another name), and a TLS-terminating TCP proxy in front of a real
// plain-HTTP process (the demo app), so the app is served over HTTPS without changing it.
import net from 'node:net'
import tls from 'node:tls'
import { createCa, type CaMaterial } from '../../scripts/lib/tls/ca.mts'
import { buildCertificate, generateRsaKey } from '../../scripts/lib/tls/x509.mts'

export type { CaMaterial }

const DAY = 24 * 3600 * 1000

/** A CA like the platform's (name-constrained to localhost names and loopback), RSA 2048 to keep tests quick. */
export const testCa = (user = 'test', host = 'tests'): Promise<CaMaterial> => createCa({ bits: 2048, user, host })

export interface LeafOptions {
  dnsNames?: string[]
  ips?: string[]
  notBefore?: Date
  notAfter?: Date
}

// one key for every leaf of a test process: key generation is the slow part, and the tests are about names and dates
let leafKey: ReturnType<typeof generateRsaKey> | undefined

/** A server certificate signed by `ca` (default: for 127.0.0.1 and localhost, valid from yesterday for 30 days). */
export async function issueLeaf(ca: CaMaterial, o: LeafOptions = {}): Promise<CaMaterial> {
  const key = (leafKey ??= generateRsaKey(2048))
  const certPem = await buildCertificate({
    subject: {},
    publicKeyPem: key.publicKeyPem,
    issuer: ca,
    notBefore: o.notBefore ?? new Date(Date.now() - DAY),
    notAfter: o.notAfter ?? new Date(Date.now() + 30 * DAY),
    dnsNames: o.dnsNames ?? (o.ips ? [] : ['localhost']),
    ips: o.ips ?? (o.dnsNames ? [] : ['127.0.0.1']),
  })
  return { certPem, keyPem: key.keyPem }
}

export interface TlsProxy {
  port: number
  close(): Promise<void>
}

/**
 * Listen with TLS on 127.0.0.1 and pipe each decrypted connection to 127.0.0.1:<targetPort>. `certs` picks the
 * certificate by SNI name ('*' = default, also for clients that send no SNI, e.g. connecting to an IP).
 */
export async function startTlsProxy(targetPort: number, certs: Record<string, CaMaterial>): Promise<TlsProxy> {
  const contexts = new Map(Object.entries(certs).map(([name, c]) => [name, tls.createSecureContext({ cert: c.certPem, key: c.keyPem })]))
  const fallback = certs['*'] ?? Object.values(certs)[0]!
  const sockets = new Set<net.Socket>()
  const server = tls.createServer({
    cert: fallback.certPem,
    key: fallback.keyPem,
    SNICallback: (name, cb) => cb(null, contexts.get(name) ?? contexts.get('*') ?? contexts.values().next().value),
  }, (client) => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream) }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
    client.pipe(upstream).pipe(client)
  })
  // failed handshakes (the client rejected our certificate) are the point of several tests, not errors
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    }),
  }
}
