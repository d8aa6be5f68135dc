// What the phases of up (and down/status) share. Each phase reads what earlier phases put in `facts`.

import type { Context, FlagValues } from '../cli.mts'
import type { PlatformState } from '../state.mts'

export interface UpFlags extends FlagValues {
  yes: boolean
  recreate: boolean
  skip: string[] | undefined
  only: string[] | undefined
  'keep-going': boolean
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
  run(ctx: UpContext): Promise<PhaseOutcome | void>
}
