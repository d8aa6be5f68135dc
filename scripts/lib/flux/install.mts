// Flux installation: which controllers, tuned for a dev loop, and how to tell whether the cluster already runs
// exactly that. Pure: YAML in, YAML out; deployments in, verdict out.
//
// `flux install` has no flags for controller arguments, so up renders `flux install --export`, patches the
// Deployments (what Flux's docs do with a kustomize patch on gotk-components.yaml) and applies the result
// server-side. Two changes for the inner loop:
//   --requeue-dependency=5s  a Kustomization whose dependency is not ready is retried after 5s, not 30s
//   --concurrent=10          more objects reconciled in parallel (Flux's benchmarks: >10 rarely helps)

import YAML from 'yaml'

/** The controllers up needs: sources (OCI/Git/Helm), Kustomizations, HelmReleases. No notifications, no image automation. */
export const FLUX_COMPONENTS = ['source-controller', 'kustomize-controller', 'helm-controller'] as const

export const DEV_TUNING: Record<string, string> = {
  '--concurrent': '10',
  '--requeue-dependency': '5s',
}

const TUNED = new Set<string>(FLUX_COMPONENTS)

type Obj = Record<string, any>

/** Replace or append `--flag=value` arguments of the manager container. */
export function setArgs(args: string[], wanted: Record<string, string>): string[] {
  const out = args.filter((a) => !Object.keys(wanted).some((k) => a === k || a.startsWith(`${k}=`)))
  for (const [k, v] of Object.entries(wanted)) out.push(`${k}=${v}`)
  return out
}

/** `flux install --export` output with the dev tuning applied to the controller Deployments. */
export function tuneInstallManifests(yaml: string, tuning: Record<string, string> = DEV_TUNING): string {
  const docs = YAML.parseAllDocuments(yaml)
  const out: string[] = []
  for (const d of docs) {
    const o = d.toJS() as Obj | null
    if (!o || typeof o !== 'object') continue
    if (o.kind === 'Deployment' && TUNED.has(o.metadata?.name)) {
      for (const c of (o.spec?.template?.spec?.containers ?? []) as Obj[]) {
        if (c.name === 'manager') c.args = setArgs((c.args ?? []) as string[], tuning)
      }
    }
    out.push(YAML.stringify(o, { lineWidth: 0 }))
  }
  return out.map((s) => `---\n${s}`).join('')
}

export interface InstalledFlux {
  /** app.kubernetes.io/version of the controllers (undefined when not installed) */
  version?: string
  components: string[]
  /** every wanted controller carries the dev tuning */
  tuned: boolean
  /** Flux manages itself from git (flux bootstrap): do not re-install over it */
  bootstrapped: boolean
}

/** Read the installed Flux from the Deployments in flux-system (label app.kubernetes.io/part-of=flux). */
export function installedFlux(deployments: Obj[], tuning: Record<string, string> = DEV_TUNING): InstalledFlux {
  const flux = deployments.filter((d) => d.metadata?.labels?.['app.kubernetes.io/part-of'] === 'flux')
  const versions = [...new Set(flux.map((d) => d.metadata?.labels?.['app.kubernetes.io/version']).filter(Boolean))] as string[]
  const components = flux.map((d) => String(d.metadata?.name)).sort()
  const tuned = flux.filter((d) => TUNED.has(d.metadata?.name)).every((d) => {
    const args = ((d.spec?.template?.spec?.containers ?? []) as Obj[]).find((c) => c.name === 'manager')?.args as string[] | undefined
    return Object.entries(tuning).every(([k, v]) => (args ?? []).includes(`${k}=${v}`))
  })
  return {
    version: versions.length === 1 ? versions[0] : versions.length ? versions.sort().join(',') : undefined,
    components,
    tuned,
    bootstrapped: flux.some((d) => d.metadata?.labels?.['kustomize.toolkit.fluxcd.io/name'] === 'flux-system'),
  }
}

export type InstallDecision =
  | { action: 'skip'; reason: string }
  | { action: 'install' | 'upgrade'; reason: string }
  | { action: 'leave'; reason: string }

export function decideInstall(current: InstalledFlux, version: string, components: readonly string[] = FLUX_COMPONENTS): InstallDecision {
  if (current.bootstrapped) {
    return { action: 'leave', reason: `Flux ${current.version ?? '?'} is managed by flux bootstrap (Kustomization flux-system); leaving it as is` }
  }
  if (!current.version) return { action: 'install', reason: `installing Flux ${version}` }
  const missing = components.filter((c) => !current.components.includes(c))
  if (current.version === version && missing.length === 0 && current.tuned) return { action: 'skip', reason: `Flux ${version} already installed` }
  const why = current.version !== version ? `${current.version} -> ${version}` : missing.length ? `adding ${missing.join(', ')}` : 'applying dev tuning'
  return { action: 'upgrade', reason: `upgrading Flux (${why})` }
}
