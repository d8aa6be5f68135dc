// Local state that is not in the cluster (chosen host ports, effective kind config, last run report),
// in one git-ignored folder. Writes are atomic (temp file + rename) so Ctrl-C never leaves half a file.
// Every file the suite puts in the state dir goes through writeStateFile: it is recorded in the dir's journal
// (manifest.mts) first, which is all `down` ever removes. state.json is written only by commands that hold the
// run lock (lock.mts); within one run the phases share ONE in-memory PlatformState and saveState writes it
// whole, so concurrent phases never overwrite each other's fields with a stale copy read from disk.

import fs from 'node:fs'
import path from 'node:path'
import { recordStateFile, type RecordOptions } from './manifest.mts'

export interface PortsState {
  registry?: number
  http?: number
  https?: number
  /** the configured values these ports were chosen for: a remembered remap is reused only while they match */
  requested?: { registry?: number; http?: number; https?: number }
}

export interface PlatformState {
  version: 1
  clusterName?: string
  provider?: string
  ports?: PortsState
  registry?: { name: string; image: string; port: number; createdByUs: boolean }
  cluster?: { name: string; context: string; createdByUs: boolean; configHash?: string }
  /** the docker network kind put the cluster on, and whether it first appeared with our cluster (down may remove it) */
  network?: { name: string; createdByUs: boolean }
  /** things up installed into an existing cluster, so down can remove exactly those */
  installed?: { helmReleases: { name: string; namespace: string }[]; namespaces: string[]; flux: boolean }
  image?: { repository: string; tag: string; sourceHash: string }
  grafana?: { secretFile: string }
  lastRun?: { command: string; at: string; ok: boolean; reportFile?: string }
}

export const emptyState = (): PlatformState => ({ version: 1 })

export function stateDir(root: string, dir = '.platform'): string {
  return path.resolve(root, dir)
}

export function readState(dir: string): PlatformState {
  const file = path.join(dir, 'state.json')
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as PlatformState
    return parsed.version === 1 ? parsed : emptyState()
  } catch {
    return emptyState()
  }
}

export function writeFileAtomic(file: string, content: string, mode?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, content, mode === undefined ? undefined : { mode })
  fs.renameSync(tmp, file)
}

export interface StateFileOptions extends RecordOptions {
  mode?: number
}

/** Write `rel` (a path inside the state dir) atomically, recorded in the journal first. Returns the path. */
export function writeStateFile(stateDir: string, rel: string, content: string, opts: StateFileOptions = {}): string {
  const file = recordStateFile(stateDir, rel, { keep: opts.keep })
  writeFileAtomic(file, content, opts.mode)
  if (opts.mode !== undefined) fs.chmodSync(file, opts.mode)
  return file
}

/** Remove a file the suite wrote in the state dir (its journal entry stays: a missing file is simply gone). */
export function removeStateFile(stateDir: string, rel: string): void {
  fs.rmSync(path.join(stateDir, rel), { force: true })
}

export function writeState(dir: string, state: PlatformState): void {
  writeStateFile(dir, 'state.json', `${JSON.stringify(state, null, 2)}\n`)
}

export function updateState(dir: string, change: (s: PlatformState) => void): PlatformState {
  const s = readState(dir)
  change(s)
  writeState(dir, s)
  return s
}
