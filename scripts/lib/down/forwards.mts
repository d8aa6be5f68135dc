// Port-forwards that outlive the command that started them (e.g. a `forward` command left running) are recorded
// in <state dir>/forwards.json as [{ pid, what, context?, startedAt? }], so `down` can stop them.
// A recorded pid is only ever signalled while it is alive AND its command line is still a port-forward:
// pids get reused, and a stale file must never make down kill an unrelated process.

import fs from 'node:fs'
import path from 'node:path'
import type { Runner } from '../shell/run.mts'
import { removeStateFile, writeStateFile } from '../shell/state.mts'
import { processCommand } from '../tools/ps.mts'
import type { ObservedForward } from './types.mts'

export const FORWARDS_FILE = 'forwards.json'

export interface ForwardRecord {
  pid: number
  /** for people: "grafana http://127.0.0.1:3000 -> monitoring/svc/kube-prometheus-stack-grafana:80" */
  what: string
  context?: string
  startedAt?: string
}

/** The entries as written (other commands add fields of their own); [] for a missing or damaged file. */
function readRaw(stateDir: string): unknown[] {
  let raw: unknown
  try {
    raw = JSON.parse(fs.readFileSync(path.join(stateDir, FORWARDS_FILE), 'utf8'))
  } catch {
    return []
  }
  return Array.isArray(raw) ? raw : Array.isArray((raw as { forwards?: unknown })?.forwards) ? (raw as { forwards: unknown[] }).forwards : []
}

const pidOf = (e: unknown) => (e as { pid?: unknown } | null)?.pid

/** Tolerant reader: a missing or damaged file is an empty list; entries without a positive integer pid are skipped. */
export function readForwards(stateDir: string): ForwardRecord[] {
  return readRaw(stateDir).flatMap((e): ForwardRecord[] => {
    const r = e as Partial<ForwardRecord>
    if (!Number.isInteger(r?.pid) || (r.pid as number) <= 1) return []
    return [{ pid: r.pid as number, what: typeof r.what === 'string' && r.what ? r.what : `pid ${r.pid}`, ...(r.context ? { context: r.context } : {}), ...(r.startedAt ? { startedAt: r.startedAt } : {}) }]
  })
}

function writeRaw(stateDir: string, list: unknown[]): void {
  if (list.length) writeStateFile(stateDir, FORWARDS_FILE, `${JSON.stringify(list, null, 2)}\n`)
  else removeStateFile(stateDir, FORWARDS_FILE)
}

/** For commands that leave a port-forward running: record it so `down` can stop it. */
export function recordForward(stateDir: string, rec: ForwardRecord): void {
  writeRaw(stateDir, [...readRaw(stateDir).filter((e) => pidOf(e) !== rec.pid), rec])
}

/**
 * Drop entries (stopped or dead), keeping the others exactly as written (with fields other commands added).
 * Removing an entry also tells its owner (scripts/forward.mts) not to re-establish it. No entries left: no file.
 */
export function dropForwards(stateDir: string, pids: number[]): void {
  if (!fs.existsSync(path.join(stateDir, FORWARDS_FILE))) return
  writeRaw(stateDir, readRaw(stateDir).filter((e) => !pids.includes(pidOf(e) as number)))
}

/** A port-forward as kubectl (or a wrapper around it) shows in a process list. */
export const looksLikePortForward = (commandLine: string): boolean => /(^|[\s/])port-forward(\s|$)/.test(commandLine)

export interface ProcessInfo { alive: boolean; commandLine?: string }

/** Is the pid running (zombies count as gone), and with which command line? /proc on Linux, `ps` elsewhere. */
export async function processInfo(pid: number, runner: Runner): Promise<ProcessInfo> {
  try {
    process.kill(pid, 0)
  } catch (e) {
    // EPERM: alive but another user's, so certainly not a forward we started
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? { alive: true } : { alive: false }
  }
  const proc = `/proc/${pid}`
  if (fs.existsSync('/proc/self/stat')) {
    try {
      const stat = fs.readFileSync(`${proc}/stat`, 'utf8')
      // field 3, after "(comm)" which may itself contain spaces or parentheses
      const st = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
      if (st === 'Z' || st === 'X') return { alive: false }
      return { alive: true, commandLine: fs.readFileSync(`${proc}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') }
    } catch {
      return { alive: false }
    }
  }
  const cmd = await processCommand(runner, pid, 'port-forwards')
  return cmd === undefined ? { alive: false } : { alive: true, commandLine: cmd }
}

export async function observeForwards(stateDir: string, runner: Runner): Promise<ObservedForward[]> {
  const out: ObservedForward[] = []
  for (const f of readForwards(stateDir)) {
    const p = await processInfo(f.pid, runner)
    out.push({ pid: f.pid, what: f.what, live: p.alive, ours: p.alive && p.commandLine !== undefined && looksLikePortForward(p.commandLine) && f.pid !== process.pid })
  }
  return out
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** SIGTERM, wait up to graceMs, then SIGKILL. Returns whether it is gone. Bounded: never waits more than ~2x graceMs. */
export async function stopProcess(pid: number, runner: Runner, graceMs = 3000): Promise<boolean> {
  const gone = async (ms: number) => {
    for (let waited = 0; waited <= ms; waited += 50) {
      if (!(await processInfo(pid, runner)).alive) return true
      await sleep(50)
    }
    return false
  }
  try { process.kill(pid, 'SIGTERM') } catch { return !(await processInfo(pid, runner)).alive }
  if (await gone(graceMs)) return true
  try { process.kill(pid, 'SIGKILL') } catch { /* gone meanwhile */ }
  return gone(graceMs)
}
