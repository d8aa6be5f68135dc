// The fake CLIs' daemon: one long-lived Node process per test process (tests/helpers/fakes.mts starts it on the
// first fakeEnv()), answering the calls of tests/fakes/bin/<tool> over loopback TCP. A call then costs a bash
// start-up instead of a Node start-up (about a tenth of the CPU), while core.mjs does exactly what it does in a
// process of its own (cli.mjs).
//
// Protocol, one connection per call. Request: NUL-terminated fields: token, tool, cwd, stdin file ('' when the
// call reads no input; the client wrote its input there), argc, argv..., then the caller's environment as
// NAME=value fields, then an empty field. Answer: `<code> <stderr bytes>\n`, the stderr bytes, then stdout until
// the connection ends; or `exec\n`: run this call as a process of its own (cli.mjs), nothing was done.
// Calls run one at a time, each with the caller's environment and working directory as the process's own, so
// the tools see what a process of their own would. A call whose fault hangs is never answered: the caller's
// timeout kills the client. The daemon ends when its parent does (its stdin closes).
//
// Usage: node daemon.mjs <port file>  (writes `<port>:<token>` there once it listens)
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import { handle } from './core.mjs'

const token = crypto.randomBytes(12).toString('hex')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// kubectl port-forward keeps listeners open until a signal ends it: only a process of its own can do that
const ownProcess = (tool, argv) => tool === 'kubectl' && argv.includes('port-forward')

/** Parse a complete request out of the bytes so far, or undefined while more are to come. */
function parse(buf) {
  const fields = []
  let start = 0
  for (let i = buf.indexOf(0); i !== -1; i = buf.indexOf(0, start)) {
    fields.push(buf.subarray(start, i).toString('utf8'))
    start = i + 1
    if (fields.length >= 5) {
      const argc = Number(fields[4])
      if (fields.length > 5 + argc && fields[fields.length - 1] === '') {
        const env = {}
        for (const kv of fields.slice(5 + argc, -1)) {
          const eq = kv.indexOf('=')
          if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1)
        }
        return { token: fields[0], tool: fields[1], cwd: fields[2], stdinFile: fields[3], argv: fields.slice(5, 5 + argc), env }
      }
    }
  }
  return undefined
}

// one call at a time: each takes over process.env and the working directory while it runs
let turn = Promise.resolve()
function exclusive(fn) {
  const run = turn.then(fn)
  turn = run.catch(() => {})
  return run
}

function asProcess(req) {
  for (const k of Object.keys(process.env)) if (!(k in req.env)) delete process.env[k]
  Object.assign(process.env, req.env)
  // a fake that a tool runs in turn (none does today) runs as its own process: asking this daemon, which answers
  // one call at a time, would wait for itself
  delete process.env.FAKE_DAEMON
  try { process.chdir(req.cwd) } catch { /* a deleted cwd: a process of its own would still run */ }
}

async function answer(req, sock) {
  if (ownProcess(req.tool, req.argv)) return sock.end('exec\n')
  let stdin = ''
  if (req.stdinFile) {
    stdin = fs.readFileSync(req.stdinFile, 'utf8')
    fs.rmSync(req.stdinFile, { force: true })
  }
  let r
  try {
    r = await exclusive(() => { asProcess(req); return handle({ tool: req.tool, argv: req.argv, stdin, env: process.env }) })
  } catch (e) {
    r = { code: 98, stdout: '', stderr: `fake ${req.tool}: internal error: ${e.stack ?? e}\n` }
  }
  if (r.background) r = { code: 98, stdout: '', stderr: `fake ${req.tool}: a call with a background part must run as its own process (daemon.mjs ownProcess)\n` }
  if (r.hang) return // never answered: the caller's timeout kills the client, which closes the connection
  if (r.delayMs) await sleep(r.delayMs)
  const err = Buffer.from(r.stderr ?? '', 'utf8')
  sock.end(Buffer.concat([Buffer.from(`${r.code ?? 0} ${err.length}\n`), err, Buffer.from(r.stdout ?? '', 'utf8')]))
}

const server = net.createServer((sock) => {
  let buf = Buffer.alloc(0)
  let started = false
  sock.on('error', () => {})
  sock.on('data', (d) => {
    if (started) return
    buf = Buffer.concat([buf, d])
    const req = parse(buf)
    if (!req) return
    started = true
    if (req.token !== token) return sock.destroy()
    answer(req, sock).catch(() => sock.destroy())
  })
})
server.listen(0, '127.0.0.1', () => {
  const file = process.argv[2]
  fs.writeFileSync(`${file}.tmp`, `${server.address().port}:${token}`)
  fs.renameSync(`${file}.tmp`, file)
})
// the test process that started it is gone: so is every caller it could have
process.stdin.on('data', () => {})
process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
