// Where to reach what up built, for the closing summary, `status` and the --json report. Pure.

import path from 'node:path'
import type { Config, Environment } from '../shell/config.mts'
import { grafanaPasswordFile, GRAFANA_USER } from '../secrets/grafana.mts'

export interface Endpoints {
  apps: Partial<Record<Environment, string>>
  grafana?: string
  prometheus?: string
  /** where the Grafana credentials are: the user and a file path (generated) or the setting (yours), never the password */
  credentials: { user: string; passwordFile?: string; passwordFrom?: string }
  /** for clusters without the kind port mapping */
  note?: string
}

export function endpoints(config: Config, httpPort: number, stateDir: string): Endpoints {
  const credentials = config.grafanaAdminPassword ? { user: GRAFANA_USER, passwordFrom: 'GRAFANA_ADMIN_PASSWORD' } : { user: GRAFANA_USER, passwordFile: grafanaPasswordFile(stateDir) }
  if (config.provider === 'existing') {
    return {
      apps: {},
      credentials,
      note: `PLATFORM_PROVIDER=existing: the gateway is Service ingress/traefik in ${config.kubeContext}; reach it through your load balancer or \`kubectl -n ingress port-forward svc/traefik 8080:80\` and http://<env>.demo.localhost:8080`,
    }
  }
  const url = (host: string) => `http://${host}:${httpPort}`
  return {
    apps: Object.fromEntries(config.environments.map((e) => [e, url(`${e}.demo.localhost`)])) as Partial<Record<Environment, string>>,
    grafana: url('grafana.localhost'),
    prometheus: url('prometheus.localhost'),
    credentials,
  }
}

export function summaryLines(ep: Endpoints, root: string): string[] {
  const lines: string[] = []
  for (const [env, url] of Object.entries(ep.apps)) lines.push(`  app ${env.padEnd(10)} ${url}`)
  const file = ep.credentials.passwordFile
  const where = file ? `in ${path.relative(root, file) || file}` : `your ${ep.credentials.passwordFrom}`
  if (ep.grafana) lines.push(`  grafana        ${ep.grafana}  (user ${ep.credentials.user}, password ${where})`)
  if (ep.prometheus) lines.push(`  prometheus     ${ep.prometheus}`)
  if (ep.note) lines.push(`  ${ep.note}`)
  return lines
}

/** The end of the last line: what changed, or (dry run) that nothing did and what a real run would change. */
export function closing(dryRun: boolean, failed: boolean, changed: string[]): string {
  if (dryRun) return `; dry run: nothing was changed${changed.length ? ` (a real run would change: ${changed.join(', ')})` : ', and a real run would change nothing'}`
  if (failed) return ''
  return changed.length ? `, changed: ${changed.join(', ')}` : ', nothing changed'
}
