// What the heal tests on the plain fakes share: a converged platform to stop, and what up did to it.
import { spawnSync } from 'node:child_process'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { mutatingLines, up, world, type World } from '../cluster/support.mts'

export const docker = (w: World, args: string[]) => spawnSync('docker', args, { env: w.env, encoding: 'utf8' })
export const NODES = ['platform-control-plane', 'platform-worker', 'platform-worker2']
export const starts = (w: World) => commandLines(w.calls('docker')).filter((l) => l.startsWith('docker start '))
export const deletions = (w: World) => mutatingLines(w.calls()).filter((l) => /\b(rm|delete)\b/.test(l))

/** A platform up has converged, ready to be stopped. */
export async function converged(env: NodeJS.ProcessEnv = {}): Promise<World> {
  const w = await world(env)
  const r = await up(w)
  assert.is(r.code, 0, r.stderr)
  return w
}
