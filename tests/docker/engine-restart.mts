// Restarting the Docker engine in a test: only ever the daemon this test run started itself. `.ci/run` exports
// PLATFORM_TEST_DOCKERD_DIR for the dockerd it starts (dockerd.pid, written by dockerd; dockerd.args, its flags one
// per line); without it, or when that daemon is not the engine the tests talk to, the test is skipped by name.
// A developer's own daemon is never restarted. The restart stops every container on the engine, so such a test
// lives in a *.serial.test.mts file, which the test runner runs alone.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { docker } from './engine.mts'

export const DOCKERD_DIR_VAR = 'PLATFORM_TEST_DOCKERD_DIR'

export interface OwnEngine { dir: string; args: string[]; pid: number }

const comm = (pid: number) => { try { return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() } catch { return '' } }
const readPid = (dir: string) => Number(fs.readFileSync(path.join(dir, 'dockerd.pid'), 'utf8').trim()) || 0

/** The run's own engine, or why it cannot be restarted here (the skip reason). */
export function ownEngine(env: NodeJS.ProcessEnv = process.env): OwnEngine | { unmet: string } {
  const dir = env[DOCKERD_DIR_VAR]
  if (!dir) return { unmet: `the Docker engine was not started by this test run (.ci/run exports ${DOCKERD_DIR_VAR} for the dockerd it starts); a developer's own daemon is never restarted` }
  let pid = 0
  let args: string[] = []
  try {
    pid = readPid(dir)
    args = fs.readFileSync(path.join(dir, 'dockerd.args'), 'utf8').split('\n').filter(Boolean)
  } catch (e) {
    return { unmet: `${DOCKERD_DIR_VAR}=${dir} holds no dockerd.pid and dockerd.args (${(e as Error).message})` }
  }
  if (comm(pid) !== 'dockerd') return { unmet: `${DOCKERD_DIR_VAR}=${dir}: pid ${pid} is not a running dockerd` }
  // the daemon in that directory must be the one the tests talk to
  const i = args.indexOf('--host')
  const host = i === -1 ? 'unix:///var/run/docker.sock' : args[i + 1]
  const talking = env.DOCKER_HOST || 'unix:///var/run/docker.sock'
  if (host !== talking) return { unmet: `${DOCKERD_DIR_VAR}=${dir}: that dockerd serves ${host}, the tests talk to ${talking}` }
  if (process.getuid?.() !== 0 && spawnSync('sudo', ['-n', 'true']).status !== 0) return { unmet: 'restarting dockerd needs root (or passwordless sudo)' }
  return { dir, args, pid }
}

const asRoot = (cmd: string, args: string[]) => (process.getuid?.() === 0 ? [cmd, args] as const : ['sudo', ['-n', cmd, ...args]] as const)

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000}s`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/**
 * Stop the run's dockerd (SIGTERM: it stops its containers, 10 s each at most) and start it again with the same
 * flags, in a session of its own (the test runner stops a file's process group; the daemon must outlive the file).
 * Live-restore is whatever the flags say (off by default): the containers come back or not as Docker decides.
 */
export async function restartEngine(e: OwnEngine, timeoutMs = 120_000): Promise<{ pid: number }> {
  const [kill, killArgs] = asRoot('kill', ['-TERM', String(e.pid)])
  spawnSync(kill, killArgs)
  await until(`dockerd (pid ${e.pid}) stopping`, () => comm(e.pid) !== 'dockerd', timeoutMs)
  const log = fs.openSync(path.join(e.dir, 'dockerd.log'), 'a')
  const [cmd, args] = asRoot('dockerd', e.args)
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log] })
  child.unref()
  fs.closeSync(log)
  await until('dockerd answering again', () => docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 }).status === 0, timeoutMs)
  const pid = readPid(e.dir)
  if (comm(pid) !== 'dockerd') throw new Error(`after the restart ${e.dir}/dockerd.pid names pid ${pid}, not a dockerd`)
  e.pid = pid
  return { pid }
}
