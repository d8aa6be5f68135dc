// Entry of every fake CLI (tests/fakes/bin/<tool> imports it). Stateful (FAKE_STATE_DIR/state.json, under a
// lock), records argv to calls.jsonl, applies injected faults (state.faults), then dispatches to tools/<tool>.mjs.
import fs from 'node:fs'
import path from 'node:path'
import { lock, unlock } from './lock.mjs'

// the tool is the name the fake was called by (a symlink named docker runs the fake docker)
const tool = path.basename(process.argv[1])
const argv = process.argv.slice(2)
const dir = process.env.FAKE_STATE_DIR
if (!dir) {
  process.stderr.write(`fake ${tool}: FAKE_STATE_DIR is not set\n`)
  process.exit(99)
}
const statePath = path.join(dir, 'state.json')
const lockDir = path.join(dir, 'state.lock')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Write the state only when a call changed it (most calls are reads), compact, atomically. */
function save(state, before) {
  const text = JSON.stringify(state)
  if (text === before) return
  const tmp = `${statePath}.${process.pid}.tmp`
  fs.writeFileSync(tmp, text)
  fs.renameSync(tmp, statePath)
}

// Read to the end of input as a stream: fs.readFileSync(0) throws EAGAIN on a non-blocking pipe whose writer has
// not written yet (a caller slower than this fake to start), which read as empty input and lost applies.
async function readStdin() {
  if (process.stdin.isTTY) return ''
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

const joined = argv.join(' ')
const matches = (f) => f.tool === tool && (f.match === undefined || (f.match instanceof Array ? f.match.every((m, i) => argv[i] === m) : joined.includes(f.match)))

async function main() {
  const needsStdin = argv.includes('-') || argv.includes('-f-') || argv.includes('--filename=-') || (tool === 'docker' && argv[0] === 'exec' && argv.includes('-i'))
  const stdin = needsStdin ? await readStdin() : ''
  await lock(lockDir)
  let state
  let result
  let fault
  try {
    const before = fs.existsSync(statePath) ? fs.readFileSync(statePath, 'utf8') : '{}'
    state = JSON.parse(before)
    fs.appendFileSync(path.join(dir, 'calls.jsonl'), `${JSON.stringify({ tool, argv, t: Date.now() })}\n`)
    const faults = state.faults ?? []
    fault = faults.find(matches)
    if (fault) {
      if (fault.times !== undefined) {
        fault.times -= 1
        if (fault.times <= 0) state.faults = faults.filter((f) => f !== fault)
      }
      result = { code: fault.exitCode ?? 1, stdout: fault.stdout ?? '', stderr: fault.stderr ?? '' }
      if (!fault.passthrough) save(state, before)
    }
    if (!fault || fault.passthrough) {
      const mod = await import(`./tools/${tool}.mjs`)
      result = await mod.default({ argv, state, stdin, env: process.env, dir })
      save(state, before)
      if (fault?.passthrough) result = { ...result, code: fault.exitCode ?? 1, stderr: fault.stderr ?? result.stderr }
    }
  } finally {
    unlock(lockDir)
  }
  if (fault?.hang) {
    // Simulates a call that never returns (a stuck wait); the caller's timeout must kill us.
    process.on('SIGTERM', () => process.exit(143))
    setInterval(() => {}, 1 << 30)
    return
  }
  if (fault?.delayMs) await sleep(fault.delayMs)
  if (result.stdout) process.stdout.write(result.stdout)
  if (result.stderr) process.stderr.write(result.stderr)
  if (result.background) {
    // Long-running part (port-forward, watch): runs without the state lock held. (Not named `then`: the
    // handler's result is awaited, and an object with a then() method would be treated as a promise.)
    await result.background()
  }
  process.exitCode = result.code ?? 0
}

main().catch((e) => {
  process.stderr.write(`fake ${tool}: internal error: ${e.stack ?? e}\n`)
  process.exit(98)
})
