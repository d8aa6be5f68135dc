// One fake CLI call, wherever it runs: in its own process (cli.mjs) or in the per-test-process daemon
// (daemon.mjs). Stateful (FAKE_STATE_DIR/state.json, under the state lock), records argv to calls.jsonl, applies
// injected faults (state.faults), then dispatches to tools/<tool>.mjs. The caller prints the result.
import fs from 'node:fs'
import path from 'node:path'
import { lock, unlock } from './lock.mjs'

/** Whether the call reads its standard input, from argv alone. client.bash decides the same in bash (it cannot import this): change both together. */
export const needsStdin = (tool, argv) =>
  argv.includes('-') || argv.includes('-f-') || argv.includes('--filename=-') || (tool === 'docker' && argv[0] === 'exec' && argv.includes('-i'))

/** Write the state only when a call changed it (most calls are reads), compact, atomically. */
function save(statePath, state, before) {
  const text = JSON.stringify(state)
  if (text === before) return
  const tmp = `${statePath}.${process.pid}.tmp`
  fs.writeFileSync(tmp, text)
  fs.renameSync(tmp, statePath)
}

/**
 * Run one call. Returns `{ code, stdout, stderr, background?, hang?, delayMs? }`: `hang` means never answer (the
 * caller's timeout must kill the process), `delayMs` answer only after that long; both with the lock released.
 */
export async function handle({ tool, argv, stdin = '', env }) {
  const dir = env.FAKE_STATE_DIR
  const statePath = path.join(dir, 'state.json')
  const lockDir = path.join(dir, 'state.lock')
  const joined = argv.join(' ')
  const matches = (f) => f.tool === tool && (f.match === undefined || (f.match instanceof Array ? f.match.every((m, i) => argv[i] === m) : joined.includes(f.match)))
  await lock(lockDir)
  let result
  let fault
  try {
    const before = fs.existsSync(statePath) ? fs.readFileSync(statePath, 'utf8') : '{}'
    const state = JSON.parse(before)
    fs.appendFileSync(path.join(dir, 'calls.jsonl'), `${JSON.stringify({ tool, argv, t: Date.now() })}\n`)
    const faults = state.faults ?? []
    fault = faults.find(matches)
    if (fault) {
      if (fault.times !== undefined) {
        fault.times -= 1
        if (fault.times <= 0) state.faults = faults.filter((f) => f !== fault)
      }
      result = { code: fault.exitCode ?? 1, stdout: fault.stdout ?? '', stderr: fault.stderr ?? '' }
      if (!fault.passthrough) save(statePath, state, before)
    }
    if (!fault || fault.passthrough) {
      const mod = await import(`./tools/${tool}.mjs`)
      result = await mod.default({ argv, state, stdin, env, dir })
      save(statePath, state, before)
      if (fault?.passthrough) result = { ...result, code: fault.exitCode ?? 1, stderr: fault.stderr ?? result.stderr }
    }
  } finally {
    unlock(lockDir)
  }
  return { ...result, hang: Boolean(fault?.hang), delayMs: fault?.delayMs ?? 0 }
}
