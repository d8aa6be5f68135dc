// scripts/forward.mts as a real process with the fake kubectl: the fake port-forward proxies to small HTTP
// backends started here, so a request through a forward proves it works end to end.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fakeEnv, REPO, type FakeEnv } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'

const ZX = path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js')
const SCRIPT = path.join(REPO, 'scripts', 'forward.mts')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function backend(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const srv = http.createServer((req, res) => res.end(`${name} ${req.url}`))
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as { port: number }).port
  return { port, close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()) }) }
}

async function get(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
    return await res.text()
  } catch {
    return undefined
  }
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true } catch { return false } }

/** bounded polling: attempts x everyMs, never a wall-clock assertion */
async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, attempts = 200, everyMs = 50): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await check()
    if (v) return v
    await sleep(everyMs)
  }
  throw new Error(`gave up waiting for ${what}`)
}

interface World { f: FakeEnv; stateDir: string; grafana: { port: number; close(): Promise<void> }; dev: { port: number; close(): Promise<void> }; done(): Promise<void> }

async function world(services: { grafana?: boolean; dev?: boolean; prometheus?: boolean } = { grafana: true, dev: true }): Promise<World> {
  const grafana = await backend('grafana')
  const dev = await backend('app-dev')
  const prom = await backend('prometheus')
  const forwards: Record<string, string> = {}
  if (services.grafana) forwards['monitoring/svc/kube-prometheus-stack-grafana'] = `127.0.0.1:${grafana.port}`
  if (services.prometheus) forwards['monitoring/svc/kube-prometheus-stack-prometheus'] = `127.0.0.1:${prom.port}`
  if (services.dev) forwards['demo-dev/svc/demo'] = `127.0.0.1:${dev.port}`
  const f = fakeEnv({ kube: { currentContext: 'kind-platform', contexts: { 'kind-platform': {} }, objects: {}, forwards } }, { ENVIRONMENTS: 'dev', CI: '1' })
  const stateDir = f.env.STATE_DIR!
  return { f, stateDir, grafana, dev, async done() { await grafana.close(); await dev.close(); await prom.close(); f.cleanup() } }
}

const entries = (stateDir: string): any[] => { try { return JSON.parse(fs.readFileSync(path.join(stateDir, 'forwards.json'), 'utf8')) } catch { return [] } }
const startedPids = (f: FakeEnv): number[] => {
  const file = path.join(f.dir, 'port-forwards.jsonl')
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).pid as number) : []
}

function start(w: World, args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [ZX, SCRIPT, ...args], { cwd: REPO, env: w.f.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => { out += d })
  child.stderr!.on('data', (d) => { err += d })
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000)
  const exit = new Promise<number | null>((r) => child.on('close', (c) => { clearTimeout(killer); r(c) }))
  return { child, out: () => out, err: () => err, exit }
}

test('opens grafana and dev, prints URLs and where the Grafana password is (never the password), records forwards.json', async () => {
  const w = await world()
  const secret = 'S3cret-not-to-be-printed'
  fs.mkdirSync(w.stateDir, { recursive: true })
  fs.writeFileSync(path.join(w.stateDir, 'grafana-admin-password'), secret, { mode: 0o600 })
  const p = start(w, ['--only', 'grafana,dev'])
  try {
    const recorded = await until('forwards.json with both', () => { const e = entries(w.stateDir); return e.filter((x) => x.role === 'port-forward').length === 2 && e })
    const sup = recorded[0]
    assert.is(sup.role, 'supervisor')
    assert.is(sup.pid, p.child.pid)
    // down only stops recorded pids whose command line is a port-forward: the supervisor names itself so
    if (fs.existsSync('/proc/self/cmdline')) assert.match(fs.readFileSync(`/proc/${sup.pid}/cmdline`, 'utf8').replace(/\0/g, ' '), /(^|\s)port-forward(\s|$)/)
    const byName = Object.fromEntries(recorded.filter((x: any) => x.target).map((x: any) => [x.target, x]))
    assert.is(byName.grafana.what, `grafana http://127.0.0.1:${byName.grafana.port} -> monitoring/svc/kube-prometheus-stack-grafana:80`)
    assert.is(byName.dev.url, `http://127.0.0.1:${byName.dev.port}`)
    assert.is(await get(`${byName.grafana.url}/api/health`), 'grafana /api/health')
    assert.is(await get(`${byName.dev.url}/healthz`), 'app-dev /healthz')
    await until('URL table on stdout', () => /Grafana login/.test(p.out()))
    assert.match(p.out(), new RegExp(`grafana\\s+${byName.grafana.url.replace(/\./g, '\\.')}\\s+monitoring/svc/kube-prometheus-stack-grafana:80`))
    assert.match(p.out(), /dev\s+http:\/\/127\.0\.0\.1:\d+\s+demo-dev\/svc\/demo:80/)
    assert.match(p.out(), /password: in .*grafana-admin-password .*or: kubectl --context kind-platform -n monitoring get secret grafana-admin/)
    // every kubectl call names the context and binds loopback only
    for (const c of w.f.calls('kubectl')) assert.ok(c.argv.join(' ').startsWith('--context kind-platform -n ') && c.argv.includes('--address') && c.argv.includes('127.0.0.1'), c.argv.join(' '))
    p.child.kill('SIGINT')
    assert.is(await p.exit, 130)
    assert.not.ok(`${p.out()}${p.err()}`.includes(secret))
  } finally {
    p.child.kill('SIGKILL')
    await w.done()
  }
})

test('a dropped forward (its kubectl killed) is re-established on the same port; Ctrl-C leaves no process and no entry', async () => {
  const w = await world()
  const p = start(w, ['--only', 'grafana,dev'])
  try {
    const first = await until('dev forward', () => entries(w.stateDir).find((x) => x.target === 'dev'))
    assert.is(await get(`${first.url}/a`), 'app-dev /a')
    process.kill(first.pid, 'SIGKILL')
    const again = await until('dev re-established', () => { const e = entries(w.stateDir).find((x) => x.target === 'dev'); return e && e.pid !== first.pid && e })
    assert.is(again.port, first.port)
    assert.is(again.url, first.url)
    assert.ok(alive(again.pid))
    assert.is(await get(`${again.url}/b`), 'app-dev /b')
    await until('re-established message', () => /dev: re-established on http:\/\/127\.0\.0\.1:\d+/.test(p.err()))
    // grafana was not touched
    assert.is(await get(`${entries(w.stateDir).find((x) => x.target === 'grafana').url}/c`), 'grafana /c')

    p.child.kill('SIGINT')
    assert.is(await p.exit, 130, p.err())
    const pids = startedPids(w.f)
    assert.ok(pids.length >= 3, `forwards started: ${pids.join(',')}`)
    for (const pid of pids) await until(`pid ${pid} gone`, () => !alive(pid), 60)
    assert.not.ok(fs.existsSync(path.join(w.stateDir, 'forwards.json')), JSON.stringify(entries(w.stateDir)))
  } finally {
    p.child.kill('SIGKILL')
    await w.done()
  }
})

test('an entry removed from forwards.json (down) is not re-established; forward exits when none is left', async () => {
  const w = await world({ dev: true })
  const p = start(w, ['--only', 'dev'])
  try {
    const e = await until('dev forward', () => entries(w.stateDir).find((x) => x.target === 'dev'))
    // what down does: stop the process, then drop its entry (here: drop first, so the order cannot race)
    fs.writeFileSync(path.join(w.stateDir, 'forwards.json'), JSON.stringify(entries(w.stateDir).filter((x) => x.pid !== e.pid)))
    process.kill(e.pid, 'SIGTERM')
    assert.is(await p.exit, 0, p.err())
    assert.match(p.err(), /dev: no longer recorded in forwards\.json; not re-establishing it/)
    assert.is(startedPids(w.f).length, 1)
    assert.not.ok(fs.existsSync(path.join(w.stateDir, 'forwards.json')))
  } finally {
    p.child.kill('SIGKILL')
    await w.done()
  }
})

test('down stops a running forward: the supervisor first (so nothing is re-established), then its kubectl', async () => {
  const w = await world()
  const p = start(w, ['--only', 'grafana,dev'])
  try {
    await until('forwards recorded', () => entries(w.stateDir).filter((x) => x.role === 'port-forward').length === 2)
    const d = await runScript('down', ['--yes'], { env: w.f.env, timeoutMs: 60_000 })
    assert.is(d.code, 0, d.stderr)
    assert.match(d.stderr, /stop port-forward forward supervisor of grafana, dev/)
    assert.is(await p.exit, 130)
    for (const pid of startedPids(w.f)) await until(`pid ${pid} gone`, () => !alive(pid), 60)
    assert.is(startedPids(w.f).length, 2, 'nothing was re-established')
  } finally {
    p.child.kill('SIGKILL')
    await w.done()
  }
})

test('a forward that cannot be re-established is given up after --retries attempts: exit 5, nothing left', async () => {
  const w = await world({ dev: true })
  const p = start(w, ['--only', 'dev', '--retries', '2'])
  try {
    const e = await until('dev forward', () => entries(w.stateDir).find((x) => x.target === 'dev'))
    // the Service goes away (namespace deleted), then its forward drops
    w.f.setState((s) => { delete s.kube.forwards['demo-dev/svc/demo'] })
    process.kill(e.pid, 'SIGKILL')
    assert.is(await p.exit, 5, p.err())
    assert.match(p.err(), /dev: giving up after 2 attempts: .*services "demo" not found/)
    assert.match(p.err(), /✖ forward: gave up re-establishing dev/)
    assert.not.ok(fs.existsSync(path.join(w.stateDir, 'forwards.json')))
    for (const pid of startedPids(w.f)) await until(`pid ${pid} gone`, () => !alive(pid), 60)
  } finally {
    p.child.kill('SIGKILL')
    await w.done()
  }
})

test('--for: exits 0 by itself and cleans up; a missing service is reported, the others still open', async () => {
  const w = await world({ grafana: true, dev: true })
  try {
    const r = await runScript('forward', ['--for', '1'], { env: w.f.env, timeoutMs: 60_000 })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /prometheus: .*services "kube-prometheus-stack-prometheus" not found/)
    assert.match(r.stdout, /grafana\s+http:\/\/127\.0\.0\.1:\d+/)
    assert.match(r.stdout, /dev\s+http:\/\/127\.0\.0\.1:\d+/)
    for (const pid of startedPids(w.f)) await until(`pid ${pid} gone`, () => !alive(pid), 60)
    assert.not.ok(fs.existsSync(path.join(w.stateDir, 'forwards.json')))
  } finally {
    await w.done()
  }
})

test('--check: 0 when every health URL answers, 1 naming the unreachable ones; --json', async () => {
  const ok = await world({ grafana: true, prometheus: true, dev: true })
  try {
    const r = await runScript('forward', ['--check', '--json'], { env: ok.f.env, timeoutMs: 60_000 })
    assert.is(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.is(out.ok, true)
    assert.equal(out.forwards.map((f: any) => f.name), ['grafana', 'prometheus', 'dev'])
    assert.ok(out.forwards.every((f: any) => f.status === 200))
    for (const pid of startedPids(ok.f)) await until(`pid ${pid} gone`, () => !alive(pid), 60)
  } finally {
    await ok.done()
  }
  const bad = await world({ dev: true })
  try {
    const r = await runScript('forward', ['--check'], { env: bad.f.env, timeoutMs: 60_000 })
    assert.is(r.code, 1, r.stderr)
    assert.match(r.stderr, /✖ forward\/check: not reachable: grafana, prometheus/)
    assert.match(r.stdout, /dev\s+http:\/\/127\.0\.0\.1:\d+\s+demo-dev\/svc\/demo:80\s+ok \(200\)/)
  } finally {
    await bad.done()
  }
})

test('nothing reachable: exits non-zero naming every target; usage errors exit 2', async () => {
  const w = await world({})
  try {
    const r = await runScript('forward', ['--for', '1'], { env: w.f.env, timeoutMs: 60_000 })
    assert.is(r.code, 5, r.stderr)
    assert.match(r.stderr, /✖ forward: no port-forward could be opened: grafana \(.*\); prometheus \(.*\); dev \(.*\)/)
    // (the port and target rules themselves are unit-tested in targets.test.mts)
    for (const args of [['--only', 'kibana'], ['--retries', '0'], ['--grafana-port', '3000', '--dev-port', '3000'], ['--for', '0']]) {
      const u = await runScript('forward', args, { env: w.f.env })
      assert.is(u.code, 2, `${args.join(' ')}: ${u.stderr}`)
    }
    assert.is(startedPids(w.f).length, 0)
  } finally {
    await w.done()
  }
})

test('fixed ports are used as given', async () => {
  const w = await world({ dev: true })
  const { freePort } = await import('../../scripts/lib/shell/ports.mts')
  const port = await freePort()
  try {
    const r = await runScript('forward', ['--only', 'dev', '--dev-port', String(port), '--for', '0.5', '--json'], { env: w.f.env, timeoutMs: 60_000 })
    assert.is(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.is(out.forwards[0].url, `http://127.0.0.1:${port}`)
  } finally {
    await w.done()
  }
})

test.run()
