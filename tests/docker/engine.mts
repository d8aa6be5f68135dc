// Does a Docker engine answer, and must it? The tier runs whenever one answers; where none does its tests are
// skipped by name, unless the run requires the engine (CI, or PLATFORM_TEST_DOCKER=required), then they fail.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import fs from 'node:fs'

export const MODE_VAR = 'PLATFORM_TEST_DOCKER'

/** Host files the stand-in images are made of (Debian: docker-registry, busybox-static). */
export const INPUTS = { registry: '/usr/bin/docker-registry', busybox: '/bin/busybox' } as const
export const INSTALL_HINT = 'apt-get install -y docker.io iptables docker-registry busybox-static, start dockerd (or run .ci/run as root)'

export type Mode = 'auto' | 'required'

/** auto unless CI is set or PLATFORM_TEST_DOCKER=required; anything else is a configuration error. */
export function tierMode(env: NodeJS.ProcessEnv): { mode: Mode; error?: string } {
  const raw = env[MODE_VAR]
  const ci = Boolean(env.CI && env.CI !== 'false' && env.CI !== '0')
  if (raw === undefined || raw === '' || raw === 'auto') return { mode: ci ? 'required' : 'auto' }
  if (raw === 'required') return { mode: 'required' }
  return { mode: 'required', error: `${MODE_VAR}=${raw} is not valid (auto | required)` }
}

/** Run the real docker CLI synchronously (tests and cleanup; never the product code). */
export function docker(args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync('docker', args, { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 120_000, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 })
}

/** Can this engine run privileged containers (kind's nodes are)? Sandboxed engines refuse: "unable to apply caps". */
export function privilegedWorks(image: string): boolean {
  return docker(['run', '--rm', '--privileged', '--entrypoint', '/bin/true', image], { timeoutMs: 60_000 }).status === 0
}

/** Why the tier cannot run here, or undefined when it can: the engine answers and the inputs exist. */
export function unavailableReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const r = docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000, env })
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return `no docker CLI on PATH (${INSTALL_HINT})`
  if (r.error) return `docker version did not answer within 20s (${r.error.message})`
  if (r.status !== 0 || !r.stdout.trim()) {
    const last = (r.stderr || r.stdout).trim().split('\n').filter(Boolean).at(-1) ?? `exit ${r.status}`
    return `no Docker engine answers: ${last}`
  }
  for (const [what, file] of Object.entries(INPUTS)) {
    if (!fs.existsSync(file)) return `the ${what} stand-in needs ${file} (${INSTALL_HINT})`
  }
  return undefined
}
