// Which host port each thing the platform binds gets. Pure apart from the injected probe (which binds the exact
// address, see ports.mts), so every rule below is unit-tested with a scripted probe.
//
// Rules, per port key, in order:
// 1. An existing kind cluster keeps its ingress mappings (they cannot change without re-creating the cluster).
// 2. auto policy: the port remembered from an earlier run for the same configured value, while it is ours
//    (our registry holds it / our cluster maps it) or free. So a remap is stable across runs, even after the
//    blocker is gone: moving the registry back would re-create it and empty it.
// 3. The configured port, when free or ours.
// 4. strict policy: fail, naming the key and the port. auto: the next free port in [port+1, port+span].

import { EXIT, StepError } from '../shell/errors.mts'
import type { PortProbe } from '../shell/ports.mts'

export type PortKey = 'registry' | 'http' | 'https'
export const PORT_KEYS: readonly PortKey[] = ['registry', 'http', 'https']
export const CONFIG_KEY: Record<PortKey, string> = { registry: 'REGISTRY_PORT', http: 'INGRESS_HTTP_PORT', https: 'INGRESS_HTTPS_PORT' }
const WHAT: Record<PortKey, string> = { registry: 'registry', http: 'gateway HTTP', https: 'gateway HTTPS' }

export type PortMap = Record<PortKey, number>

export interface PortPlanInput {
  /** configured ports (config / .env / defaults) */
  configured: PortMap
  /** from local state: the ports chosen last time and the configured values they were chosen for */
  remembered?: Partial<PortMap>
  rememberedFor?: Partial<PortMap>
  /** ports our own containers hold right now, per key (running registry container, our cluster's mappings) */
  ours: Partial<PortMap>
  /** mappings of an existing kind cluster: they win for http/https */
  clusterMappings?: Partial<Pick<PortMap, 'http' | 'https'>>
  policy: 'auto' | 'strict'
  span: number
  platform: NodeJS.Platform
  probe(port: number): Promise<PortProbe>
}

export type PortSource = 'configured' | 'remembered' | 'remapped' | 'cluster'

export interface PortDecision {
  key: PortKey
  configKey: string
  configured: number
  port: number
  source: PortSource
  /** for http/https of an existing cluster: the port a new cluster would get (configured/remembered) */
  wanted: number
  /** whether `wanted` could be bound now (free or ours); false when a stranger holds it */
  wantedAvailable: boolean
  /** one line for the user when the port is not the configured one */
  message?: string
}

export interface PortPlan {
  ports: PortMap
  decisions: PortDecision[]
}

const culprit = (port: number, platform: NodeJS.Platform) =>
  port === 5000 && platform === 'darwin' ? ' (likely the macOS AirPlay Receiver: System Settings > General > AirDrop & Handoff)' : ''

const busyWord = (p: PortProbe) => (p === 'denied' ? 'not permitted to bind' : 'busy')

export async function planPorts(input: PortPlanInput): Promise<PortPlan> {
  const taken = new Set<number>()
  const decisions: PortDecision[] = []
  const cache = new Map<number, PortProbe>()
  const probe = async (port: number) => {
    if (!cache.has(port)) cache.set(port, await input.probe(port))
    return cache.get(port)!
  }
  // A port is usable for a key when nothing else this run took it and it is ours for that key or free.
  const usable = async (key: PortKey, port: number) => {
    if (taken.has(port) || port < 1 || port > 65535) return false
    if (input.ours[key] === port) return true
    return (await probe(port)) === 'free'
  }

  for (const key of PORT_KEYS) {
    const configured = input.configured[key]
    const configKey = CONFIG_KEY[key]
    const rememberedValid = input.remembered?.[key] !== undefined && input.rememberedFor?.[key] === configured
    const remembered = rememberedValid ? input.remembered![key]! : undefined
    const wanted = input.policy === 'auto' && remembered !== undefined ? remembered : configured
    const decide = (port: number, source: PortSource, wantedAvailable: boolean, message?: string) => {
      taken.add(port)
      decisions.push({ key, configKey, configured, port, source, wanted, wantedAvailable, ...(message ? { message } : {}) })
    }

    const mapped = key === 'registry' ? undefined : input.clusterMappings?.[key]
    if (mapped !== undefined) {
      const available = mapped === wanted || (await usable(key, wanted))
      decide(mapped, 'cluster', available, mapped !== configured ? `${configKey} ${configured}: the existing cluster maps ${WHAT[key]} to ${mapped}; keeping it (host ports of a kind cluster are fixed at creation)` : undefined)
      continue
    }
    if (input.policy === 'auto' && remembered !== undefined && remembered !== configured && (await usable(key, remembered))) {
      decide(remembered, 'remembered', true, `${configKey} ${configured}: reusing ${remembered}, chosen in an earlier run`)
      continue
    }
    if (await usable(key, configured)) {
      decide(configured, 'configured', true)
      continue
    }
    const state = taken.has(configured) ? 'busy' : await probe(configured)
    const why = `${configKey} ${configured} is ${busyWord(state)} on 127.0.0.1${culprit(configured, input.platform)}`
    if (input.policy === 'strict') {
      throw new StepError({
        step: 'ports',
        message: `${why} (PORT_POLICY=strict)`,
        hint: `free port ${configured}, set ${configKey} to a free port, or set PORT_POLICY=auto to pick the next free one`,
        exitCode: EXIT.precondition,
      })
    }
    let found: number | undefined
    for (let p = configured + 1; p <= Math.min(65535, configured + input.span); p++) {
      if (await usable(key, p)) { found = p; break }
    }
    if (found === undefined) {
      throw new StepError({
        step: 'ports',
        message: `${why}, and no free port in ${configured + 1}-${Math.min(65535, configured + input.span)}`,
        hint: `set ${configKey} to a free port, or raise PORT_SEARCH_SPAN`,
        exitCode: EXIT.precondition,
      })
    }
    decide(found, 'remapped', false, `${why}; using ${found} instead (remembered for the next runs)`)
  }
  const ports = Object.fromEntries(decisions.map((d) => [d.key, d.port])) as PortMap
  return { ports, decisions }
}

/** The ingress port differences that only re-creating the cluster can fix. */
export function ingressPortDrift(plan: PortPlan): string[] {
  return plan.decisions
    .filter((d) => d.source === 'cluster' && d.port !== d.wanted && d.wantedAvailable)
    .map((d) => `${WHAT[d.key]} host port: the cluster maps ${d.port}, ${d.configKey} wants ${d.wanted}`)
}
