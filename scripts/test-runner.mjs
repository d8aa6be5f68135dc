// npm test: type check, then every tests/**/*.test.mts in its own process (isolation: each file may start
// servers and fake CLIs), a few at a time, ending with the line CI reads: `N passed, N failed`.
// Usage: npm test [-- <path-filter>...] [--no-typecheck] [--verbose]
// An area folder with a `global.mts` (tests/docker: the Docker tier) gets `global.mts setup` once before its files
// (its KEY=VALUE stdout lines become their environment) and `global.mts teardown <files>` after all files; the
// teardown counts as one test. Lines `[skipped] <name>: <reason>` in a file's output are listed by name at the end.
// Files named `*.serial.test.mts` run after all the others, one at a time, alone: e.g. a test that restarts the
// Docker engine, which would stop every container of every other file running at that moment.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const args = process.argv.slice(2)
const verbose = args.includes('--verbose')
const skipTypecheck = args.includes('--no-typecheck')
const filters = args.filter((a) => !a.startsWith('--'))
const concurrency = Number(process.env.TEST_CONCURRENCY ?? Math.max(2, Math.min(4, os.cpus().length + 1)))
const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 600_000)

if (!fs.existsSync(path.join(root, 'node_modules', 'zx'))) {
  console.error('✖ setup: this checkout has no node_modules — run npm ci first (it installs the Node 24 the tests run on)')
  process.exit(3)
}

// Node 24 from the npm `node` package even when this runner was started by an older system node.
const localNode = path.join(root, 'node_modules', '.bin', 'node')
const NODE = fs.existsSync(localNode) ? localNode : process.execPath

const strip = (s) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')

// Every process the suite starts (test files, the zx scripts they run, the fake CLIs those call) parses and
// type-strips the same modules; Node's compile cache keeps the result. node_modules/.cache is git-ignored.
const cacheDir = path.join(root, 'node_modules', '.cache')
const childEnv = { ...process.env, FORCE_COLOR: '0' }
if (!childEnv.NODE_COMPILE_CACHE && !childEnv.NODE_DISABLE_COMPILE_CACHE) childEnv.NODE_COMPILE_CACHE = path.join(cacheDir, 'node-compile-cache')

function findTests(dir) {
  const out = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) { if (e.name !== 'node_modules' && e.name !== 'fixtures') out.push(...findTests(p)) }
    else if (e.name.endsWith('.test.mts')) out.push(p)
  }
  return out.sort()
}

// each child leads its own process group, so an interrupted run can stop a file with everything it started
const children = new Set()
function run(cmd, argv, timeoutMs, env = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now()
    const child = spawn(cmd, argv, { cwd: root, env: { ...childEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    children.add(child)
    child.on('close', () => children.delete(child))
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    const timer = setTimeout(() => { out += `\n[test-runner] killed after ${timeoutMs / 1000}s\n`; try { process.kill(-child.pid, 'SIGKILL') } catch { child.kill('SIGKILL') } }, timeoutMs)
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out: strip(out), ms: Date.now() - t0 }) })
  })
}

// One fake daemon per test file (tests/fakes/daemon.mjs): it answers the file's fake CLI calls without a Node
// start-up each, and ends with the file. Started here, not in the test process, so its CPU is the suite's (a
// process the runner waits for) and a file killed by its timeout cannot leave it behind.
const FAKE_DAEMON = path.join(root, 'tests', 'fakes', 'daemon.mjs')
async function startFakeDaemon() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-fake-daemon-'))
  const portFile = path.join(dir, 'port')
  const child = spawn(NODE, [FAKE_DAEMON, portFile], { cwd: root, env: childEnv, stdio: ['pipe', 'ignore', 'pipe'] })
  let log = ''
  child.stderr.on('data', (d) => { log += d })
  const closed = new Promise((resolve) => child.on('close', resolve))
  child.stdin.on('error', () => {})
  for (let waited = 0; !fs.existsSync(portFile) && child.exitCode === null && waited < 30_000; waited += 5) await new Promise((r) => setTimeout(r, 5))
  const address = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8') : undefined
  fs.rmSync(dir, { recursive: true, force: true })
  const stop = async () => { child.stdin.end(); await closed; return log ? `[fake daemon] ${strip(log)}` : '' }
  // without a daemon the fakes run each call as a process of their own: slower, never wrong
  return { env: address ? { FAKE_DAEMON: address } : { FAKE_NO_DAEMON: '1' }, stop }
}

let passed = 0
let failed = 0
let skipped = 0
const failures = []
const skippedNames = []

// TEST_RUNNER_TESTS_DIR: another tree of test files (the runner's own tests)
const files = findTests(process.env.TEST_RUNNER_TESTS_DIR || path.join(root, 'tests')).filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt)))

// per-area global setup/teardown (the Docker tier), started alongside the type check
const areas = new Map()
for (const f of files) {
  const hook = path.join(path.dirname(f), 'global.mts')
  if (fs.existsSync(hook) && !areas.has(hook)) areas.set(hook, { env: {}, ran: [], ready: undefined, ended: false })
}
for (const [hook, a] of areas) {
  a.ready = run(NODE, [hook, 'setup'], 600_000).then((r) => {
    for (const m of r.out.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)) a.env[m[1]] = m[2]
    const notes = r.out.replace(/^[A-Z][A-Z0-9_]*=.*\n?/gm, '').trim()
    if (notes) console.log(notes)
    if (r.code !== 0) { failed++; failures.push(`${path.relative(root, hook)} setup`); console.log(`✖ ${path.relative(root, hook)} setup (exit ${r.code ?? r.signal})`) }
  })
}
async function teardownAreas() {
  for (const [hook, a] of areas) {
    if (a.ended) continue
    a.ended = true
    await a.ready
    const rel = path.relative(root, hook)
    const r = await run(NODE, [hook, 'teardown', ...a.ran], 600_000, a.env)
    if (r.code === 0) passed++
    else { failed++; failures.push(`${rel} teardown`) }
    console.log(`${r.code === 0 ? '✔' : '✖'} ${rel} teardown (${(r.ms / 1000).toFixed(1)}s)\n${r.out.trim()}`)
  }
}
// Ctrl-C or a kill: stop every file with what it started (its process group), then the teardown removes what
// they made
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    for (const c of children) { try { process.kill(-c.pid, 'SIGTERM') } catch { /* gone */ } }
    for (let i = 0; i < 100 && children.size; i++) await new Promise((r) => setTimeout(r, 100))
    for (const c of children) { try { process.kill(-c.pid, 'SIGKILL') } catch { /* gone */ } }
    for (const [hook, a] of areas) if (!a.ended) spawnSync(NODE, [hook, 'teardown'], { cwd: root, env: { ...process.env, ...a.env }, stdio: 'inherit' })
    process.exit(sig === 'SIGINT' ? 130 : 143)
  })
}

if (!skipTypecheck && filters.length === 0) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  // incremental: a re-run checks only what changed since the last one (the build info lives in the cache dir)
  const r = await run(NODE, [tsc, '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', path.join(cacheDir, 'tsc', 'typecheck.tsbuildinfo')], 300_000)
  if (r.code === 0) { passed++; console.log(`✔ typecheck (${(r.ms / 1000).toFixed(1)}s)`) }
  else { failed++; failures.push('typecheck'); console.log(`✖ typecheck\n${r.out}`) }
}

const isSerial = (f) => f.endsWith('.serial.test.mts')
const queue = files.filter((f) => !isSerial(f))
async function worker() {
  for (let f = queue.shift(); f; f = queue.shift()) {
    const rel = path.relative(root, f)
    const area = areas.get(path.join(path.dirname(f), 'global.mts'))
    if (area) { await area.ready; area.ran.push(rel) }
    const daemon = await startFakeDaemon()
    const r = await run(NODE, [f], FILE_TIMEOUT_MS, { ...area?.env, ...daemon.env })
    r.out += await daemon.stop()
    for (const m of r.out.matchAll(/^\[skipped\] (.+)$/gm)) skippedNames.push(m[1])
    const total = Number(/Total:\s+(\d+)/.exec(r.out)?.[1] ?? NaN)
    const ok = Number(/Passed:\s+(\d+)/.exec(r.out)?.[1] ?? NaN)
    const skip = Number(/Skipped:\s+(\d+)/.exec(r.out)?.[1] ?? 0)
    if (Number.isNaN(total) || Number.isNaN(ok)) {
      // crashed before uvu could summarise: count the file as one failure
      failed++
      failures.push(rel)
      console.log(`✖ ${rel} (no test summary, exit ${r.code ?? r.signal})\n${r.out}`)
      continue
    }
    passed += ok
    failed += total - ok
    skipped += skip
    const bad = total - ok > 0 || r.code !== 0
    if (bad && total - ok === 0) { failed++; }
    if (bad) failures.push(rel)
    console.log(`${bad ? '✖' : '✔'} ${rel}: ${ok}/${total} (${(r.ms / 1000).toFixed(1)}s)`)
    if (bad || verbose) console.log(r.out)
  }
}
await Promise.all(Array.from({ length: concurrency }, worker))
// then the serial files, alone (no other file runs meanwhile), before the areas' teardown
queue.push(...files.filter(isSerial))
await worker()
await teardownAreas()

if (skippedNames.length) console.log(`\nSkipped (${skippedNames.length}):\n${skippedNames.map((n) => `  - ${n}`).join('\n')}`)
if (failures.length) console.log(`\nFailed: ${failures.join(', ')}`)
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exitCode = failed > 0 ? 1 : 0
