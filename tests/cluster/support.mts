// Shared by the cluster-layer tests: a fake world with free host ports, `up` limited to the cluster layer,
// and a classifier of recorded calls into read-only and mutating ones.

import fs from 'node:fs'
import path from 'node:path'
import { freePort } from '../../scripts/lib/shell/ports.mts'
import { commandLines, fakeEnv, type Call, type FakeEnv } from '../helpers/fakes.mts'
import { runScript, type ProcResult } from '../helpers/proc.mts'

export const LAYER = ['--only', 'preflight,ports,registry,cluster,wiring']

export interface World extends FakeEnv {
  ports: { registry: number; http: number; https: number }
}

/** Distinct free ports for REGISTRY_PORT and the ingress ports (tests run in parallel: never the defaults). */
export async function world(extraEnv: NodeJS.ProcessEnv = {}, initial: Record<string, unknown> = {}): Promise<World> {
  const ports = { registry: 0, http: 0, https: 0 }
  const seen = new Set<number>()
  for (const k of ['registry', 'http', 'https'] as const) {
    let p = await freePort()
    // leave room above each port for remapping without colliding with the next key
    while ([...seen].some((s) => Math.abs(s - p) < 20)) p = await freePort()
    seen.add(p)
    ports[k] = p
  }
  const f = fakeEnv(initial, {
    REGISTRY_PORT: String(ports.registry),
    INGRESS_HTTP_PORT: String(ports.http),
    INGRESS_HTTPS_PORT: String(ports.https),
    ...extraEnv,
  })
  return Object.assign(f, { ports })
}

export const up = (w: FakeEnv, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ProcResult> =>
  runScript('up', [...LAYER, ...args], { env: { ...w.env, ...env } })

/** Calls that change anything (what a converged re-run must not make). */
export function isMutating(c: Call): boolean {
  const [a, b] = c.argv
  switch (c.tool) {
    case 'docker':
      if (a === 'network') return b !== 'ls' && b !== 'inspect'
      if (a === 'exec') return c.argv.includes('-i')
      return ['run', 'start', 'stop', 'rm', 'create', 'restart', 'kill', 'push', 'build', 'tag'].includes(a ?? '')
    case 'kind':
      return a === 'create' || a === 'delete' || (a === 'export' && b === 'kubeconfig') || a === 'load'
    case 'kubectl': {
      const words: string[] = []
      for (let i = 0; i < c.argv.length; i++) {
        const x = c.argv[i]!
        if (['--context', '-n', '--namespace', '-o', '--output', '-f', '--filename', '-l', '--selector'].includes(x)) i++
        else if (!x.startsWith('-')) words.push(x)
      }
      const [verb = '', sub = ''] = words
      if (verb === 'config') return !['get-contexts', 'current-context', 'view'].includes(sub)
      return ['apply', 'delete', 'create', 'patch', 'label', 'annotate', 'replace', 'scale', 'rollout'].includes(verb)
    }
    default:
      return false
  }
}

export const mutatingLines = (calls: Call[]) => commandLines(calls.filter(isMutating))

/** The file a fake node holds at a path (written through docker exec). */
export const nodeFile = (w: FakeEnv, node: string, file: string): string | undefined => w.state().docker?.containers?.[node]?.files?.[file]

export const platformState = (w: FakeEnv): any => {
  try {
    return JSON.parse(fs.readFileSync(path.join(w.env.STATE_DIR!, 'state.json'), 'utf8'))
  } catch {
    return undefined
  }
}
