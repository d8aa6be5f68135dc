// Where to reach what up built, for the closing summary, `status` and the --json report. Pure.
// HTTPS first (the gateway terminates TLS with certificates from the local CA); HTTP stays served next to it.

import path from 'node:path'
import type { Config, Environment } from '../shell/config.mts'
import { grafanaPasswordFile, GRAFANA_USER } from '../secrets/grafana.mts'
import { trustInstructions, type TrustLine } from '../tls/trust.mts'

type Urls = { apps: Partial<Record<Environment, string>>; grafana?: string; prometheus?: string }

export interface Endpoints extends Urls {
  /** the same over HTTPS (set when the platform has its local CA) */
  https?: Urls
  /** the local CA's certificate and how to trust it once (never the key) */
  ca?: { certFile: string; trust: TrustLine[] }
  /** where the Grafana credentials are: the user and a file path (generated) or the setting (yours), never the password */
  credentials: { user: string; passwordFile?: string; passwordFrom?: string }
  /** for clusters without the kind port mapping */
  note?: string
}

function urls(config: Config, scheme: 'http' | 'https', port: number): Urls {
  const url = (host: string) => `${scheme}://${host}:${port}`
  return {
    apps: Object.fromEntries(config.environments.map((e) => [e, url(`${e}.demo.localhost`)])) as Partial<Record<Environment, string>>,
    grafana: url('grafana.localhost'),
    prometheus: url('prometheus.localhost'),
  }
}

/** `caFile`: the local CA's certificate when it exists (lib/tls/ca.mts existingCaFile). */
export function endpoints(config: Config, ports: { http: number; https: number }, stateDir: string, caFile?: string): Endpoints {
  const credentials = config.grafanaAdminPassword ? { user: GRAFANA_USER, passwordFrom: 'GRAFANA_ADMIN_PASSWORD' } : { user: GRAFANA_USER, passwordFile: grafanaPasswordFile(stateDir) }
  const https = caFile && config.provider !== 'existing' ? urls(config, 'https', ports.https) : undefined
  const example = https ? `${Object.values(https.apps)[0] ?? https.grafana}/` : undefined
  const ca = caFile ? { certFile: caFile, trust: trustInstructions(caFile, example) } : undefined
  if (config.provider === 'existing') {
    return {
      apps: {},
      credentials,
      ...(ca ? { ca } : {}),
      note: `PLATFORM_PROVIDER=existing: the gateway is Service ingress/traefik in ${config.kubeContext}; reach it through your load balancer or \`kubectl -n ingress port-forward svc/traefik 8443:443 8080:80\` and https://<env>.demo.localhost:8443 (http://...:8080)`,
    }
  }
  return { ...urls(config, 'http', ports.http), ...(https ? { https } : {}), ...(ca ? { ca } : {}), credentials }
}

const rel = (root: string, file: string) => {
  const r = path.relative(root, file)
  return r && !r.startsWith('..') ? r : file
}

export function summaryLines(ep: Endpoints, root: string): string[] {
  const lines: string[] = []
  const secure = ep.https
  for (const [env, url] of Object.entries(ep.apps)) {
    const s = secure?.apps[env as Environment]
    lines.push(`  app ${env.padEnd(10)} ${s ? `${s}  (also ${url})` : url}`)
  }
  const grafana = secure?.grafana ?? ep.grafana
  const file = ep.credentials.passwordFile
  const where = file ? `in ${rel(root, file)}` : `your ${ep.credentials.passwordFrom}`
  if (grafana) lines.push(`  grafana        ${grafana}  (user ${ep.credentials.user}, password ${where})`)
  const prometheus = secure?.prometheus ?? ep.prometheus
  if (prometheus) lines.push(`  prometheus     ${prometheus}`)
  if (ep.note) lines.push(`  ${ep.note}`)
  if (ep.ca) {
    const file = rel(root, ep.ca.certFile)
    const trust = trustInstructions(file, secure ? `${Object.values(secure.apps)[0] ?? secure.grafana}/` : undefined)
    lines.push(`  local CA       ${file}: trust it once and https:// works without warnings (the scripts never change a trust store):`)
    const width = Math.max(...trust.map((t) => t.where.length))
    for (const t of trust) lines.push(`    ${t.where.padEnd(width)}  ${t.command}`)
  }
  return lines
}

/** The end of the last line: what changed, or (dry run) that nothing did and what a real run would change. */
export function closing(dryRun: boolean, failed: boolean, changed: string[]): string {
  if (dryRun) return `; dry run: nothing was changed${changed.length ? ` (a real run would change: ${changed.join(', ')})` : ', and a real run would change nothing'}`
  if (failed) return ''
  return changed.length ? `, changed: ${changed.join(', ')}` : ', nothing changed'
}
