// ps adapter: the command line of a process where /proc does not exist (macOS). Only this file runs `ps`.

import type { Runner } from '../shell/run.mts'

/** `ps -o command= -p <pid>`; undefined when the process is gone or ps is missing. Read-only. */
export async function processCommand(r: Runner, pid: number, step = 'ps'): Promise<string | undefined> {
  const res = await r.run('ps', ['-o', 'command=', '-p', String(pid)], { step, nothrow: true, timeoutMs: 10_000 })
  return res.ok && res.stdout.trim() ? res.stdout.trim() : undefined
}
