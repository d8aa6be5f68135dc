// What the phases of up (and down/status) share. Each phase reads what earlier phases put in `facts`.

import type { Context, FlagValues } from '../shell/cli.mts'
import type { PlatformState } from '../shell/state.mts'
import type { StepHandle } from '../shell/ui.mts'

export interface UpFlags extends FlagValues {
  yes: boolean
  recreate: boolean
  skip: string[] | undefined
  only: string[] | undefined
  'keep-going': boolean
  /** check that the pull-through caches hold every image the platform needs before anything runs */
  offline?: boolean
  /** add-ons to install with helm before Flux, besides metrics-server (release names) */
  helm?: string[]
}

/** Facts discovered or decided during a run, filled in by the phases (typed, one place). */
export interface Facts {
  /** host ports actually used (after preflight/remapping) */
  ports?: { registry: number; http: number; https: number }
  /** kube context all later phases target (kind-<name> or KUBE_CONTEXT) */
  context?: string
  /** names of the cluster's nodes (kind get nodes), for registry wiring */
  nodes?: string[]
  /** the demo app image as pods pull it, e.g. kind-registry:5000/demo:3f2a9c1d */
  image?: { ref: string; tag: string; built: boolean }
  /** Flux facts for later phases and the summary: mode, what the wait starts from, whether anything was pushed */
  flux?: { mode: 'oci' | 'git' | 'none'; roots: string[]; pushed: boolean; revision?: string }
  /** where the Grafana admin password is (a file path, or the setting it came from; never the password) */
  grafana?: { user: string; passwordFile?: string; passwordFrom?: string }
  /** the local CA (lib/tls): where its certificate is (never the key), its name and SHA-256 fingerprint */
  tls?: { caFile: string; caName: string; fingerprint: string }
  /** add-ons installed with helm by the addons phase, and which of them changed */
  helm?: { releases: string[]; changed: string[] }
  /** the helm client's version as preflight read it (addons picks its rollback flag by it; the binary does not change mid-run) */
  helmVersion?: string
  /** whether the cluster phase created (or re-created) the kind cluster in this run */
  clusterCreated?: boolean
  /** --dry-run: stopped node containers a real run would start first (nothing can be read from them now) */
  wouldStart?: string[]
  /** what up repaired on a platform that existed (stopped nodes started, the registry re-attached, ...): one line each */
  healed?: string[]
  /** set by phases that changed something; a converged re-run leaves it empty */
  changed: string[]
  /** free-form notes for the summary (URLs, credentials location) */
  summary: string[]
}

export interface UpContext extends Context<UpFlags> {
  state: PlatformState
  facts: Facts
  /** persist ctx.state atomically (call after every change that must survive Ctrl-C) */
  saveState(): void
}

export interface PhaseOutcome {
  /** short result shown next to the phase, e.g. "created", "reused kind-registry on 127.0.0.1:5001" */
  note?: string
}

export interface Phase {
  id: string
  title: string
  /** ids of phases that must finish first (skipped ones count as done) */
  needs: string[]
  /** return a reason string to skip this phase for this configuration */
  skipWhen?: (ctx: UpContext) => string | false
  /** `step` updates the live progress text of this phase (ui.step handle) */
  run(ctx: UpContext, step?: StepHandle): Promise<PhaseOutcome | void>
}
