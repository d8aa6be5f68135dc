// lib/forward/portforward.mts with the fake kubectl (which really listens and proxies TCP, like kubectl does).
import http from 'node:http'
import net from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { isStepError } from '../../scripts/lib/shell/errors.mts'
import { canConnect } from '../../scripts/lib/shell/ports.mts'
import { startPortForward } from '../../scripts/lib/forward/portforward.mts'
import { createRunner } from '../../scripts/lib/shell/run.mts'
import { fakeEnv, type FakeEnv } from '../helpers/fakes.mts'
import { forwardRecords, isAlive, killAll, poll } from './support.mts'

const CTX = 'kind-platform'

async function backend(): Promise<{ port: number; close(): Promise<void> }> {
  const srv = http.createServer((req, res) => { res.writeHead(200); res.end(`hello ${req.url}`) })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()) }) }
}

async function setup(): Promise<{ f: FakeEnv; runner: ReturnType<typeof createRunner>; done(): Promise<void> }> {
  const b = await backend()
  const f = fakeEnv({ kube: { currentContext: CTX, contexts: { [CTX]: {} }, objects: {}, forwards: { 'demo-dev/svc/demo': { address: `127.0.0.1:${b.port}`, targetPort: 8000 } } } })
  const runner = createRunner({ env: f.env })
  return { f, runner, async done() { await runner.killAll(); killAll(forwardRecords(f.dir)); await b.close(); f.cleanup() } }
}

const get = async (url: string) => { const r = await fetch(url); return `${r.status} ${await r.text()}` }
const spec = { context: CTX, namespace: 'demo-dev', resource: 'svc/demo', remotePort: 80, readyTimeoutMs: 10_000 }

test('starts on a free local port, proxies, and stop() ends kubectl', async () => {
  const w = await setup()
  try {
    const pf = await startPortForward(w.runner, spec)
    assert.match(pf.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.is(pf.generation, 1)
    assert.ok(pf.running)
    assert.is(await get(`${pf.url}/x`), '200 hello /x')
    const argv = w.f.calls('kubectl')[0]!.argv
    assert.equal(argv, ['--context', CTX, '-n', 'demo-dev', 'port-forward', '--address', '127.0.0.1', 'svc/demo', `${pf.localPort}:80`])
    const pid = pf.pid!
    assert.ok(isAlive(pid))
    await pf.stop()
    assert.not.ok(isAlive(pid))
    assert.not.ok(await canConnect(pf.localPort))
  } finally {
    await w.done()
  }
})

test('a missing Service fails at once with kubectl\'s NotFound message, without retries', async () => {
  const w = await setup()
  try {
    const e = await startPortForward(w.runner, { ...spec, namespace: 'demo-prod' }).then(() => undefined, (x: unknown) => x)
    assert.ok(isStepError(e))
    assert.match((e as Error).message, 'Error from server (NotFound): services "demo" not found')
    assert.is(w.f.calls('kubectl').length, 1)
  } finally {
    await w.done()
  }
})

test('a busy fixed local port is retried a bounded number of times, then named', async () => {
  const w = await setup()
  const blocker = net.createServer()
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
  try {
    const port = (blocker.address() as net.AddressInfo).port
    const e = await startPortForward(w.runner, { ...spec, localPort: port, startRetries: 1 }).then(() => undefined, (x: unknown) => x)
    assert.match((e as Error).message, `local port 127.0.0.1:${port} is in use (error: unable to listen on any of the requested ports`)
    assert.is(w.f.calls('kubectl').length, 2)
  } finally {
    blocker.close()
    await w.done()
  }
})

test('a dead kubectl is reported; restart() brings it back on the same port as a new generation', async () => {
  const w = await setup()
  try {
    const pf = await startPortForward(w.runner, spec)
    const port = pf.localPort
    process.kill(pf.pid!, 'SIGKILL')
    await poll(async () => (!pf.running ? true : undefined), 'kubectl gone')
    await poll(async () => (pf.exitReason ? true : undefined), 'exit noticed')
    assert.match(pf.exitReason!, 'kubectl port-forward exited (SIGKILL)')
    await pf.restart()
    assert.is(pf.generation, 2)
    assert.is(pf.localPort, port)
    assert.is(await get(`${pf.url}/again`), '200 hello /again')
    await pf.stop()
  } finally {
    await w.done()
  }
})

test('maxAutoRestarts: re-establishes by itself after kubectl dies', async () => {
  const w = await setup()
  try {
    const pf = await startPortForward(w.runner, { ...spec, maxAutoRestarts: 1 })
    process.kill(pf.pid!, 'SIGKILL')
    await poll(async () => (pf.generation === 2 && pf.running ? true : undefined), 'auto restart', 300, 50)
    assert.is(await get(`${pf.url}/back`), '200 hello /back')
    await pf.stop()
  } finally {
    await w.done()
  }
})

test('the runner\'s killAll (exit, Ctrl-C) and an aborted signal both end it', async () => {
  const w = await setup()
  try {
    const a = await startPortForward(w.runner, spec)
    await w.runner.killAll()
    assert.not.ok(isAlive(a.pid!))
    const ac = new AbortController()
    const b = await startPortForward(w.runner, { ...spec, signal: ac.signal })
    const pid = b.pid!
    ac.abort()
    await poll(async () => (!isAlive(pid) ? true : undefined), 'stopped on abort')
    const records = forwardRecords(w.f.dir)
    assert.is(records.length, 2)
    assert.ok(records.every((r) => !isAlive(r.pid)))
  } finally {
    await w.done()
  }
})

test.run()
