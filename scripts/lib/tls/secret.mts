// The cluster side of the local CA: the Secret cert-manager/platform-local-ca (type kubernetes.io/tls) that the
// ClusterIssuer `platform-local-ca` (infrastructure/configs/cluster-issuer.yaml) signs with. A ClusterIssuer reads
// its Secret from cert-manager's own namespace. The manifest goes to kubectl on stdin: the key is never an
// argument, and its PEM and base64 forms are registered for redaction before anything could print them.

import { registerSecret } from '../shell/redact.mts'
import type { CaMaterial } from './ca.mts'

export const CA_SECRET = { name: 'platform-local-ca', namespace: 'cert-manager' } as const
export const CLUSTER_ISSUER = 'platform-local-ca'

const b64 = (s: string) => Buffer.from(s).toString('base64')

export function hideCaKey(ca: CaMaterial): void {
  registerSecret(ca.keyPem)
  registerSecret(b64(ca.keyPem))
}

export function caSecretManifest(ca: CaMaterial): string {
  hideCaKey(ca)
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${CA_SECRET.name}`,
    `  namespace: ${CA_SECRET.namespace}`,
    '  labels:',
    '    app.kubernetes.io/managed-by: platform-up',
    'type: kubernetes.io/tls',
    'data:',
    `  tls.crt: ${b64(ca.certPem)}`,
    `  tls.key: ${b64(ca.keyPem)}`,
    '',
  ].join('\n')
}

/** Does the live Secret (kubectl get -o json) already hold exactly this CA? */
export function caSecretMatches(live: { type?: string; data?: Record<string, string> } | undefined, ca: CaMaterial): boolean {
  const get = (k: string) => (live?.data?.[k] ? Buffer.from(live.data[k], 'base64').toString('utf8') : undefined)
  return live?.type === 'kubernetes.io/tls' && get('tls.crt') === ca.certPem && get('tls.key') === ca.keyPem
}
