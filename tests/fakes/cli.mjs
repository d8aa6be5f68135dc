// A fake CLI call as its own Node process: tests/fakes/bin/<tool> runs this when no fake daemon serves the test
// (see daemon.mjs), and for calls that must live as a process of their own (port-forward). The tool is FAKE_TOOL,
// or the name this was called by (a symlink named docker runs the fake docker).
import path from 'node:path'
import { handle, needsStdin } from './core.mjs'

const tool = process.env.FAKE_TOOL || path.basename(process.argv[1])
const argv = process.argv.slice(2)
if (!process.env.FAKE_STATE_DIR) {
  process.stderr.write(`fake ${tool}: FAKE_STATE_DIR is not set\n`)
  process.exit(99)
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// Read to the end of input as a stream: fs.readFileSync(0) throws EAGAIN on a non-blocking pipe whose writer has
// not written yet (a caller slower than this fake to start), which read as empty input and lost applies.
async function readStdin() {
  if (process.stdin.isTTY) return ''
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

async function main() {
  const stdin = needsStdin(tool, argv) ? await readStdin() : ''
  const result = await handle({ tool, argv, stdin, env: process.env })
  if (result.hang) {
    // Simulates a call that never returns (a stuck wait); the caller's timeout must kill us.
    process.on('SIGTERM', () => process.exit(143))
    setInterval(() => {}, 1 << 30)
    return
  }
  if (result.delayMs) await sleep(result.delayMs)
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
