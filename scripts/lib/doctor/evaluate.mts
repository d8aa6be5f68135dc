// Pure: turn what the probes saw into rows with a status and a fix per failed row.

import type { Config, Versions } from '../shell/config.mts'
import { atLeast, nodeImageVersion, parseVersion } from '../shell/semver.mts'
import type { PortProbe } from '../shell/ports.mts'

export type Status = 'ok' | 'warn' | 'fail'

export interface DoctorRow {
  check: string
  status: Status
  detail: string
  fix?: string
  /** a failed required row makes doctor (and up) exit non-zero */
  required: boolean
  /** the tool is there but did not answer in time (a hang, not a missing tool) */
  hung?: boolean
}

export interface Observations {
  platform: NodeJS.Platform
  docker: { reachable: boolean; serverVersion?: string; clientVersion?: string; error?: string; hung?: boolean }
  kind?: string
  kubectl?: string
  helm?: string
  flux?: string
  /** host ports the platform binds: label -> probe result; `ours` when our own container holds it */
  ports: { label: string; port: number; state: PortProbe | 'ours' }[]
  /** tools that are on PATH but did not answer their version call in time, or failed it: one line each */
  problems?: Partial<Record<'kind' | 'kubectl' | 'helm' | 'flux', string>>
  /** restart policies of the platform's containers (`docker update --restart` / `run --restart`), when they exist */
  restart?: { registry?: { name: string; policy: string }; nodes: { name: string; policy: string }[] }
  inotify?: { maxUserWatches: number; maxUserInstances: number }
  diskFreeBytes?: number
  memoryBytes?: number
}

const GiB = 1024 ** 3

export function installHint(tool: string, platform: NodeJS.Platform, v: Versions): string {
  const mac = platform === 'darwin'
  switch (tool) {
    case 'docker': return mac ? 'install and start Docker Desktop (or colima: brew install colima docker && colima start)' : 'sudo apt-get install docker.io && sudo systemctl start docker (or see docs.docker.com/engine/install)'
    case 'kind': return mac ? 'brew install kind' : `curl -Lo ./kind https://kind.sigs.k8s.io/dl/${v.kind.version}/kind-linux-amd64 && chmod +x kind && sudo mv kind /usr/local/bin/`
    case 'kubectl': return mac ? 'brew install kubectl' : `curl -LO https://dl.k8s.io/release/${v.kubectl.version}/bin/linux/amd64/kubectl && sudo install kubectl /usr/local/bin/ (see https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/)`
    case 'helm': return mac ? 'brew install helm' : 'curl -fsSL https://raw.githubusercontent.com/helm/helm/main/scripts/get-helm-3 | bash'
    case 'flux': return mac ? 'brew install fluxcd/tap/flux' : `curl -s https://fluxcd.io/install.sh | sudo FLUX_VERSION=${v.flux.version.replace(/^v/, '')} bash`
    default: return `install ${tool}`
  }
}

export function evaluateDoctor(o: Observations, c: Config, v: Versions): DoctorRow[] {
  const rows: DoctorRow[] = []
  const usesKind = c.provider === 'kind'
  const usesFlux = c.fluxMode !== 'none'
  const tool = (check: 'kind' | 'kubectl' | 'helm' | 'flux', version: string | undefined, minimum: string, required: boolean, why: string) => {
    const problem = o.problems?.[check]
    if (!version && problem) {
      const hung = problem.startsWith('did not answer')
      rows.push({ check, status: required ? 'fail' : 'warn', detail: `${problem}${required ? '' : ' (not needed with this config)'}`, fix: hung ? `\`${check} version\` hangs: see what it waits for (\`command -v ${check}\` shows which binary runs)` : `run \`${check} version\` to see why it fails`, required, ...(hung ? { hung: true } : {}) })
    } else if (!version) rows.push({ check, status: required ? 'fail' : 'warn', detail: `not found on PATH${required ? '' : ' (not needed with this config)'}`, fix: installHint(check, o.platform, v), required })
    else if (!atLeast(version, minimum)) rows.push({ check, status: required ? 'fail' : 'warn', detail: `${version} is older than ${minimum} (${why})`, fix: installHint(check, o.platform, v), required })
    else rows.push({ check, status: 'ok', detail: version, required })
  }

  if (o.docker.reachable) rows.push({ check: 'docker', status: 'ok', detail: `daemon ${o.docker.serverVersion}`, required: usesKind })
  else if (o.docker.hung) rows.push({ check: 'docker', status: usesKind ? 'fail' : 'warn', detail: o.docker.error ?? 'did not answer', fix: 'the Docker daemon is not answering: check `docker info`; restart Docker (Docker Desktop, colima restart, or sudo systemctl restart docker)', required: usesKind, hung: true })
  else rows.push({ check: 'docker', status: usesKind ? 'fail' : 'warn', detail: o.docker.error || 'daemon not reachable', fix: o.docker.clientVersion ? 'start the Docker daemon (Docker Desktop, colima start, or sudo systemctl start docker)' : installHint('docker', o.platform, v), required: usesKind })

  tool('kind', o.kind, v.kind.minimum, usesKind, 'needed for containerd 2.x registry wiring')
  if (o.kind && atLeast(o.kind, v.kind.minimum) && !atLeast(o.kind, 'v0.24.0')) {
    rows.push({ check: 'kind networkpolicy', status: 'warn', detail: 'kind < v0.24 does not enforce NetworkPolicy', required: false })
  }
  // The minimum is one minor below the node image (kubectl's skew policy). It also keeps the netpol probes
  // working: `kubectl debug --custom` is missing from 1.30 clients unless KUBECTL_DEBUG_CUSTOM_PROFILE=true.
  tool('kubectl', o.kubectl, v.kubectl.minimum, true, 'kubectl supports one minor version of skew with the cluster, and netpol probes need `kubectl debug --custom`')
  tool('helm', o.helm, v.helm.minimum, true, 'Helm 3.14+ for OCI charts')
  tool('flux', o.flux, v.flux.minimum, usesFlux, 'Flux v2 GA APIs')

  // kubectl supports one minor version of skew with the API server (kind node image).
  const server = nodeImageVersion(c.nodeImage)
  const client = o.kubectl ? parseVersion(o.kubectl) : undefined
  if (usesKind && server && client) {
    const skew = Math.abs(server.minor - client.minor)
    rows.push(skew <= 1
      ? { check: 'kubectl skew', status: 'ok', detail: `client ${client.raw}, cluster ${server.raw}`, required: false }
      : { check: 'kubectl skew', status: 'warn', detail: `client ${client.raw} vs cluster ${server.raw}: ${skew} minor versions apart (supported: 1)`, fix: `install kubectl ${server.major}.${server.minor}.x`, required: false })
  }

  for (const p of o.ports) {
    if (p.state === 'free' || p.state === 'ours') {
      rows.push({ check: `port ${p.port}`, status: 'ok', detail: `${p.label}: ${p.state === 'ours' ? 'held by our own container' : 'free'} on 127.0.0.1`, required: false })
    } else {
      const culprit = p.port === 5000 && o.platform === 'darwin' ? ' (likely the macOS AirPlay Receiver: System Settings > General > AirDrop & Handoff)' : ''
      const strict = c.portPolicy === 'strict'
      rows.push({
        check: `port ${p.port}`,
        status: strict ? 'fail' : 'warn',
        detail: `${p.label}: ${p.state === 'denied' ? 'binding not permitted' : 'in use'}${culprit}`,
        fix: strict ? `free the port or choose another (${p.label} key in .env)` : 'up will pick the next free port and remember it',
        required: strict,
      })
    }
  }

  if (usesKind && o.restart) rows.push(...restartRows(o.restart))

  if (o.platform === 'linux' && o.inotify && usesKind) {
    const low = o.inotify.maxUserWatches < 524288 || o.inotify.maxUserInstances < 512
    rows.push(low
      ? { check: 'inotify', status: 'warn', detail: `max_user_watches=${o.inotify.maxUserWatches}, max_user_instances=${o.inotify.maxUserInstances} (pods may fail with "too many open files")`, fix: 'sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512', required: false }
      : { check: 'inotify', status: 'ok', detail: `max_user_watches=${o.inotify.maxUserWatches}, max_user_instances=${o.inotify.maxUserInstances}`, required: false })
  }
  if (o.diskFreeBytes !== undefined) {
    const gib = o.diskFreeBytes / GiB
    rows.push(gib < 10
      ? { check: 'disk', status: 'warn', detail: `${gib.toFixed(1)} GiB free (a kind cluster with monitoring needs ~10 GiB)`, fix: 'docker system prune, or free disk space', required: false }
      : { check: 'disk', status: 'ok', detail: `${gib.toFixed(0)} GiB free`, required: false })
  }
  if (o.memoryBytes !== undefined && usesKind) {
    const gib = o.memoryBytes / GiB
    rows.push(gib < 8
      ? { check: 'memory', status: 'warn', detail: `${gib.toFixed(1)} GiB (8 GiB recommended for ${c.workers + 1} nodes with monitoring)`, fix: 'give Docker more memory or set WORKERS=1', required: false }
      : { check: 'memory', status: 'ok', detail: `${gib.toFixed(0)} GiB`, required: false })
  }
  return rows
}

export const doctorFailed = (rows: DoctorRow[]): boolean => rows.some((r) => r.required && r.status === 'fail')

/** Policies under which Docker starts a container again when the daemon starts (a reboot, a Docker restart). */
const comesBack = (policy: string) => policy === 'always' || policy === 'unless-stopped'

/**
 * Will the registry and the nodes come back after a Docker restart or a reboot? The registry runs with
 * --restart=always. kind runs nodes with --restart=on-failure:1 (pkg/cluster/internal/providers/docker/provision.go):
 * Docker starts such a container again only when it exited with an error, so whether a cluster comes back after
 * a restart depends on how its nodes stopped; `up` starts them either way.
 */
export function restartRows(r: NonNullable<Observations['restart']>): DoctorRow[] {
  const rows: DoctorRow[] = []
  if (r.registry) {
    rows.push(comesBack(r.registry.policy)
      ? { check: 'registry restart', status: 'ok', detail: `${r.registry.name}: --restart=${r.registry.policy} (Docker starts it again after a restart)`, required: false }
      : { check: 'registry restart', status: 'warn', detail: `${r.registry.name}: --restart=${r.registry.policy}: Docker will not start it again after a Docker restart or reboot`, fix: `docker update --restart=always ${r.registry.name} (up created it with always); until then \`npx zx scripts/up.mts\` starts it`, required: false })
  }
  if (r.nodes.length) {
    const weak = r.nodes.filter((n) => !comesBack(n.policy))
    const policies = [...new Set(weak.map((n) => n.policy))].join(', ')
    const never = weak.some((n) => n.policy === 'no')
    rows.push(weak.length === 0
      ? { check: 'node restart', status: 'ok', detail: `${r.nodes.length} node container(s) come back after a Docker restart (${[...new Set(r.nodes.map((n) => n.policy))].join(', ')})`, required: false }
      : {
          check: 'node restart',
          status: 'warn',
          detail: `${weak.length} of ${r.nodes.length} node container(s) have --restart=${policies}${never ? ': Docker never starts them again' : ' (kind\'s choice): Docker starts them again only if they exited with an error'}, so after a Docker restart or reboot the cluster may stay stopped`,
          fix: `run \`npx zx scripts/up.mts\` after a restart: it starts the nodes (control plane first) and waits until they are Ready; or let Docker do it: docker update --restart=unless-stopped ${weak.map((n) => n.name).join(' ')} (it then also restarts a node that keeps failing)`,
          required: false,
        })
  }
  return rows
}
