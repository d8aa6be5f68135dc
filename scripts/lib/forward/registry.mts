// <state dir>/forwards.json: the live port-forwards, so `down` (scripts/lib/down/forwards.mts) can stop them.
// A JSON array of { pid, what, context?, startedAt? } as down reads it, plus what `forward` adds: target, port,
// url, and owner (the pid of the forward process that keeps it alive). Entries of other processes are kept as
// they are (unknown fields included); entries whose pid is gone are pruned on every write.
// Protocol: an entry removed by someone else (down) means "stop this one": the owner does not re-establish it.

import fs from 'node:fs'
import path from 'node:path'
import { removeStateFile, writeStateFile } from '../shell/state.mts'

export const FORWARDS_FILE = 'forwards.json'

export interface ForwardEntry {
  pid: number
  /** for people: "grafana http://127.0.0.1:3000 -> monitoring/svc/kube-prometheus-stack-grafana:80" */
  what: string
  context?: string
  startedAt?: string
  /** forward target name (grafana, prometheus, dev, ...); absent on the supervisor's own entry */
  target?: string
  port?: number
  url?: string
  /** pid of the `forward` process supervising this kubectl */
  owner?: number
  role?: 'supervisor' | 'port-forward'
}

type Raw = Record<string, unknown> & { pid?: unknown; owner?: unknown }

export const forwardsFile = (stateDir: string) => path.join(stateDir, FORWARDS_FILE)

function readRaw(stateDir: string): Raw[] {
  try {
    const v = JSON.parse(fs.readFileSync(forwardsFile(stateDir), 'utf8')) as unknown
    const list = Array.isArray(v) ? v : Array.isArray((v as { forwards?: unknown })?.forwards) ? (v as { forwards: unknown[] }).forwards : []
    return list.filter((e): e is Raw => Boolean(e) && typeof e === 'object')
  } catch {
    return []
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function readEntries(stateDir: string): ForwardEntry[] {
  return readRaw(stateDir).filter((e) => Number.isInteger(e.pid) && (e.pid as number) > 1) as unknown as ForwardEntry[]
}

function write(stateDir: string, list: Raw[]): void {
  if (list.length === 0) { removeStateFile(stateDir, FORWARDS_FILE); return }
  writeStateFile(stateDir, FORWARDS_FILE, `${JSON.stringify(list, null, 2)}\n`)
}

/** Replace every entry of `owner` (its own record and its forwards) with `entries`; prune dead pids. */
export function replaceOwned(stateDir: string, owner: number, entries: ForwardEntry[], isAlive: (pid: number) => boolean = alive): void {
  const others = readRaw(stateDir).filter((e) => e.owner !== owner && e.pid !== owner && Number.isInteger(e.pid) && isAlive(e.pid as number))
  write(stateDir, [...others, ...(entries as unknown as Raw[])])
}

/** Remove everything `owner` recorded (on exit). */
export function removeOwned(stateDir: string, owner: number): void {
  if (!fs.existsSync(forwardsFile(stateDir))) return
  write(stateDir, readRaw(stateDir).filter((e) => e.owner !== owner && e.pid !== owner))
}

/** Is a forward with this pid still recorded? (down removes the entries of forwards it stopped; it keeps pids
 * but not necessarily our extra fields, so the pid is the key) */
export function stillRecorded(stateDir: string, pid: number): boolean {
  return readRaw(stateDir).some((e) => e.pid === pid)
}
