// kind CLI adapter. Only this file runs `kind`.

import { versionProbe, type Runner, type VersionProbe } from '../shell/run.mts'

/** `kind version` prints e.g. "kind v0.30.0 go1.24.6 linux/amd64"; otherwise why not (missing, hung, failed). */
export async function kindVersion(r: Runner, step = 'kind'): Promise<VersionProbe> {
  const res = await r.run('kind', ['version'], { step, nothrow: true, timeoutMs: 10_000 })
  return versionProbe(res, /v\d+\.\d+\.\d+\S*/.exec(res.stdout)?.[0], 10_000)
}

// ---- clusters (cluster layer) ----

const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean)

/** `kind get clusters`: exact names ("No kind clusters found." goes to stderr, exit 0). Read-only. */
export async function kindClusters(r: Runner, step = 'kind'): Promise<string[]> {
  const res = await r.run('kind', ['get', 'clusters'], { step, timeoutMs: 30_000 })
  return lines(res.stdout)
}

/** `kind get nodes --name <cluster>`: node container names, sorted. Read-only. */
export async function kindNodes(r: Runner, cluster: string, step = 'kind'): Promise<string[]> {
  const res = await r.run('kind', ['get', 'nodes', '--name', cluster], { step, timeoutMs: 30_000 })
  return lines(res.stdout).sort()
}

export interface KindCreateOptions {
  name: string
  configFile: string
  /** --wait: how long kind waits for the control plane to be Ready */
  waitMs: number
  /** how long the whole command may take (image pull included) */
  timeoutMs: number
  retain?: boolean
}

/** `kind create cluster --name --config --wait`. Mutating; the caller turns failures into its own message. */
export async function kindCreateCluster(r: Runner, o: KindCreateOptions, step = 'kind') {
  const args = ['create', 'cluster', '--name', o.name, '--config', o.configFile, '--wait', `${Math.max(1, Math.round(o.waitMs / 1000))}s`]
  if (o.retain) args.push('--retain')
  return r.run('kind', args, { step, mutating: true, nothrow: true, timeoutMs: o.timeoutMs })
}

/** `kind delete cluster --name`: a cluster that does not exist counts as deleted (kind exits 0). Mutating. */
export async function kindDeleteCluster(r: Runner, name: string, step = 'kind'): Promise<void> {
  await r.run('kind', ['delete', 'cluster', '--name', name], { step, mutating: true, timeoutMs: 300_000 })
}

/** `kind export kubeconfig --name`: (re)writes the kind-<name> context into the kubeconfig. Mutating. */
export async function kindExportKubeconfig(r: Runner, name: string, step = 'kind'): Promise<void> {
  await r.run('kind', ['export', 'kubeconfig', '--name', name], { step, mutating: true, timeoutMs: 60_000 })
}
