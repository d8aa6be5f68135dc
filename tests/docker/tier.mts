// The Docker tier's API for test files (see README "Tests"). A test file:
//
//   const tier = dockerTier('reg')                 // a short key: names its worlds ptier-<run>-reg<N>-...
//   tier.test('name', async () => {
//     const w = await tier.world()                  // fresh names, free ports, fakes + the REAL docker on PATH
//     await w.up(['--only', 'preflight,ports,registry'])
//     w.docker(['inspect', w.names.registry])       // the real engine
//   })
//   tier.run()                                      // runs the tests, then removes every world of this file
//
// More on a world: w.run('upstream', [w.standIns.registry.tag]) starts one more container of its own (named and
// labelled for the run, so it is swept with the world): e.g. a second registry (the stand-in reads the
// distribution registry's REGISTRY_* variables, e.g. -e REGISTRY_PROXY_REMOTEURL=... for a pull-through cache);
// w.trackImage(ref) has an image it tagged removed with it; tier.shared(...) makes one world for several tests.
//
// Without an engine the tests are skipped by name ("[skipped] <file> › <name>: <reason>", which the test runner
// lists), or fail when the run requires the engine (CI, PLATFORM_TEST_DOCKER=required). Run by the test runner,
// the run is the runner's (PLATFORM_TEST_RUN, set up and torn down by tests/docker/global.mts); run on its own,
// a file begins and ends its own run.

import path from 'node:path'
import { test } from 'uvu'
import { listenerPort as freePort } from '../fakes/tools/listener-port.mjs'
import { fakeEnv, type FakeEnv } from '../helpers/fakes.mts'
import { runScript, type ProcResult } from '../helpers/proc.mts'
import { docker, privilegedWorks, tierMode, unavailableReason } from './engine.mts'
import { isRunId, RUN_LABEL, runPrefix, trackImage } from './runs.mts'
import { beginRun, describeLeftovers, endRun } from './session.mts'
import { ensureStandIn, type Role, type StandIn } from './standins.mts'
import { sweep } from './sweep.mts'

export const RUN_VAR = 'PLATFORM_TEST_RUN'
export const UNAVAILABLE_VAR = 'PLATFORM_TEST_DOCKER_UNAVAILABLE'
/** 1 | 0: whether the engine runs privileged containers (kind's --privileged); probed once per run */
export const PRIVILEGED_VAR = 'PLATFORM_TEST_DOCKER_PRIVILEGED'

/** Probe once (the runner's setup usually did), remember in the environment for this process and its children. */
export function privileged(nodeImage: string): '0' | '1' {
  const v = process.env[PRIVILEGED_VAR]
  if (v === '0' || v === '1') return v
  const answer = privilegedWorks(nodeImage) ? '1' : '0'
  process.env[PRIVILEGED_VAR] = answer
  return answer
}

export interface WorldNames {
  /** every object of the world starts with this (ptier-<run>-<key><N>-) */
  prefix: string
  cluster: string
  registry: string
  /** the kind network (KIND_EXPERIMENTAL_DOCKER_NETWORK) */
  network: string
}

export interface World extends FakeEnv {
  names: WorldNames
  ports: { registry: number; http: number; https: number }
  standIns: { registry: StandIn; node: StandIn }
  /** `npx zx scripts/up.mts <args>` with this world's environment (plus `env`) */
  up(args?: string[], env?: NodeJS.ProcessEnv): Promise<ProcResult>
  script(name: string, args?: string[], env?: NodeJS.ProcessEnv): Promise<ProcResult>
  /** the real docker CLI, synchronously (stdout/stderr/status) */
  docker(args: string[], input?: string): { status: number | null; stdout: string; stderr: string }
  /** a container of this world's own (name prefixed, run label): e.g. a process holding a port */
  run(name: string, args: string[]): string
  /** an image tag this world made that carries no name of the run (removed with the world) */
  trackImage(ref: string): void
}

export interface Tier {
  available: boolean
  reason?: string
  runId: string
  /** `opts.unmet`: why this test cannot run here although the engine answers (skipped by name, or failed when required) */
  test(name: string, fn: () => unknown, opts?: { unmet?: string }): void
  world(opts?: { workers?: number; env?: NodeJS.ProcessEnv }): Promise<World>
  /**
   * One world for several tests of the file (made by the first that asks, `prepare` run once, removed when the
   * file ends): for tests that only look at the same platform, so the file pays for it once.
   */
  shared(opts: { workers?: number; env?: NodeJS.ProcessEnv }, prepare: (w: World) => Promise<void>): () => Promise<World>
  standIn(role: Role): StandIn
  run(): void
}

const rel = (file: string) => path.relative(path.resolve(import.meta.dirname, '..', '..'), file)

function resolveAvailability(): { available: boolean; reason?: string; required: boolean } {
  const mode = tierMode(process.env)
  if (mode.error) return { available: false, reason: mode.error, required: true }
  const given = process.env[UNAVAILABLE_VAR]
  const reason = given !== undefined ? given || undefined : unavailableReason()
  return { available: !reason, ...(reason ? { reason } : {}), required: mode.mode === 'required' }
}

/** Spread ports apart so a remapped port (next free one) never lands on another key's. */
async function spreadPorts(): Promise<{ registry: number; http: number; https: number }> {
  const ports = { registry: 0, http: 0, https: 0 }
  const seen: number[] = []
  for (const k of ['registry', 'http', 'https'] as const) {
    let p = await freePort()
    while (seen.some((s) => Math.abs(s - p) < 20)) p = await freePort()
    seen.push(p)
    ports[k] = p
  }
  return ports
}

export function dockerTier(key: string, file = process.argv[1] ?? 'tests/docker'): Tier {
  if (!/^[a-z]{1,6}$/.test(key)) throw new Error(`dockerTier key "${key}": 1-6 lowercase letters`)
  const a = resolveAvailability()
  const shown = rel(file)
  // a run id that is not one of ours (a stray variable) is ignored: this process then owns a run of its own
  let runId = isRunId(process.env[RUN_VAR]) ? process.env[RUN_VAR] : ''
  if (a.available && !runId) {
    // run on its own: this process owns the run, and ends it however it exits
    runId = beginRun(process.pid).id
    process.env[RUN_VAR] = runId
    process.once('exit', () => {
      const end = endRun(runId)
      const bad = end.problems.length || describeLeftovers(end.leftovers) !== 'nothing left'
      process.stderr.write(`docker tier run ${runId}: ${describeLeftovers(end.leftovers)}${end.problems.length ? `; ${end.problems.join('; ')}` : ''}\n`)
      if (bad) process.exitCode = 1
    })
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143))
  }
  const worlds: World[] = []
  const sharedWorlds: World[] = []
  let made = 0
  const standIns = new Map<Role, StandIn>()
  const standIn = (role: Role): StandIn => {
    let s = standIns.get(role)
    if (!s) { s = ensureStandIn(role); standIns.set(role, s) }
    return s
  }

  async function world(opts: { workers?: number; env?: NodeJS.ProcessEnv } = {}, keep = false): Promise<World> {
    // never reused within a run: a world that failed to clean up cannot meet the next test
    const prefix = `${runPrefix(runId)}${key}${++made}-`
    const names: WorldNames = { prefix, cluster: prefix.slice(0, -1), registry: `${prefix}registry`, network: `${prefix}kind` }
    const registry = standIn('registry')
    const node = standIn('kind-node')
    const ports = await spreadPorts()
    const f = fakeEnv({}, {
      [RUN_VAR]: runId,
      CLUSTER_NAME: names.cluster,
      REGISTRY_NAME: names.registry,
      KIND_EXPERIMENTAL_DOCKER_NETWORK: names.network,
      KIND_NODE_IMAGE: node.tag,
      FAKE_KIND_PRIVILEGED: privileged(node.tag),
      WORKERS: String(opts.workers ?? 1),
      REGISTRY_PORT: String(ports.registry),
      INGRESS_HTTP_PORT: String(ports.http),
      INGRESS_HTTPS_PORT: String(ports.https),
      ...opts.env,
    }, { docker: 'real' })
    const images: string[] = []
    const removeTempDir = f.cleanup.bind(f)
    const w: World = Object.assign(f, {
      names,
      ports,
      standIns: { registry, node },
      up: (args: string[] = [], env: NodeJS.ProcessEnv = {}) => runScript('up', args, { env: { ...f.env, ...env }, timeoutMs: 400_000 }),
      script: (name: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) => runScript(name, args, { env: { ...f.env, ...env }, timeoutMs: 400_000 }),
      docker: (args: string[], input?: string) => {
        const r = docker(args, input === undefined ? {} : { input })
        return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
      },
      run: (name: string, args: string[]) => {
        const full = `${prefix}${name}`
        const r = docker(['run', '-d', '--name', full, '--label', `${RUN_LABEL}=${runId}`, ...args])
        if (r.status !== 0) throw new Error(`docker run ${full}: ${r.stderr.trim()}`)
        return full
      },
      trackImage: (ref: string) => { images.push(ref); trackImage(runId, ref) },
      cleanup: () => {
        const problems = sweep({ id: runId, prefix, images })
        removeTempDir()
        if (problems.length) throw new Error(`cleaning up ${prefix}*: ${problems.join('; ')}`)
      },
    })
    ;(keep ? sharedWorlds : worlds).push(w)
    return w
  }

  function cleanWorlds(list: World[]): void {
    const problems: string[] = []
    for (const w of list) { try { w.cleanup() } catch (e) { problems.push((e as Error).message) } }
    if (problems.length) {
      process.stderr.write(`${problems.join('\n')}\n`)
      process.exitCode = 1
    }
  }

  return {
    available: a.available,
    ...(a.reason ? { reason: a.reason } : {}),
    runId,
    test(name, fn, opts = {}) {
      const reason = a.available ? opts.unmet : a.reason
      if (a.available && !reason) {
        // each test's worlds go when it ends, passed or failed, so tests never see each other's containers
        test(name, async () => {
          const before = worlds.length
          try {
            await fn()
          } finally {
            cleanWorlds(worlds.splice(before))
          }
        })
        return
      }
      if (a.required) {
        test(name, () => { throw new Error(`the Docker tier is required here (CI or PLATFORM_TEST_DOCKER=required) but ${reason}`) })
        return
      }
      process.stdout.write(`[skipped] ${shown} › ${name}: ${reason}\n`)
      test.skip(name, fn as () => Promise<void>)
    },
    world,
    shared(opts, prepare) {
      let made: Promise<World> | undefined
      return () => (made ??= world(opts, true).then(async (w) => { await prepare(w); return w }))
    },
    standIn,
    run() {
      test.after(() => cleanWorlds([...worlds.splice(0), ...sharedWorlds.splice(0)]))
      test.run()
    },
  }
}
