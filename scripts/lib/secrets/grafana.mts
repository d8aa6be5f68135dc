// The Grafana admin credentials: GRAFANA_ADMIN_PASSWORD (never written to disk: the user keeps it), or a password
// generated once and kept in the state directory (mode 0600, git-ignored). The cluster Secret monitoring/grafana-admin is built here as a manifest that
// goes to kubectl on stdin: the password is never an argument, never echoed, and registered for redaction.

import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { registerSecret } from '../shell/redact.mts'
import { writeStateFile } from '../shell/state.mts'

export const GRAFANA_SECRET = { name: 'grafana-admin', namespace: 'monitoring', userKey: 'admin-user', passwordKey: 'admin-password' } as const
export const GRAFANA_USER = 'admin'

export const grafanaPasswordFile = (stateDir: string) => path.join(stateDir, 'grafana-admin-password')

export function generatePassword(): string {
  return crypto.randomBytes(18).toString('base64url')
}

function hide(password: string): void {
  registerSecret(password)
  registerSecret(Buffer.from(password).toString('base64'))
}

export interface ResolvedPassword {
  password: string
  file: string
  /** where it came from, for the log (never the value) */
  source: 'GRAFANA_ADMIN_PASSWORD' | 'state file' | 'generated'
  /** the file must be (re)written (only ever for a generated password) */
  write: boolean
  /** a stored file that no longer holds the password in use (GRAFANA_ADMIN_PASSWORD is set): remove it once applied */
  removeStored: boolean
}

/** Decide the password without writing anything (dry-run safe). */
export function resolveGrafanaPassword(configured: string, stateDir: string): ResolvedPassword {
  const file = grafanaPasswordFile(stateDir)
  const stored = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : ''
  if (stored) hide(stored)
  if (configured) {
    hide(configured)
    // an older run's generated password, or a copy of this one an older version wrote: neither belongs on disk
    return { password: configured, file, source: 'GRAFANA_ADMIN_PASSWORD', write: false, removeStored: stored !== '' }
  }
  if (stored) return { password: stored, file, source: 'state file', write: false, removeStored: false }
  const password = generatePassword()
  hide(password)
  return { password, file, source: 'generated', write: true, removeStored: false }
}

export function storePassword(r: ResolvedPassword): void {
  writeStateFile(path.dirname(r.file), path.basename(r.file), `${r.password}\n`, { mode: 0o600 })
}

export function grafanaSecretManifest(password: string, user = GRAFANA_USER): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64')
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${GRAFANA_SECRET.name}`,
    `  namespace: ${GRAFANA_SECRET.namespace}`,
    '  labels:',
    '    app.kubernetes.io/managed-by: platform-up',
    'type: Opaque',
    'data:',
    `  ${GRAFANA_SECRET.userKey}: ${b64(user)}`,
    `  ${GRAFANA_SECRET.passwordKey}: ${b64(password)}`,
    '',
  ].join('\n')
}

/** Does the live Secret (kubectl get -o json) already hold these credentials? */
export function secretMatches(live: { data?: Record<string, string> } | undefined, password: string, user = GRAFANA_USER): boolean {
  const get = (k: string) => (live?.data?.[k] ? Buffer.from(live.data[k], 'base64').toString('utf8') : undefined)
  return get(GRAFANA_SECRET.userKey) === user && get(GRAFANA_SECRET.passwordKey) === password
}
