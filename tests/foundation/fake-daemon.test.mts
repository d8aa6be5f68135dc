// The fake daemon answers a fake CLI call exactly as the call's own Node process would: same stdout, stderr, exit
// code, recorded argv and resulting state, with the caller's input, environment and working directory. A call
// that hangs is killed by its caller as before, and a daemon that is gone costs speed, never a wrong answer.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fakeEnv, type FakeEnv } from '../helpers/fakes.mts'

const world = () => fakeEnv({
  kube: { currentContext: 'kind-platform', contexts: { 'kind-platform': { server: '127.0.0.1:6443' } }, objects: {} },
  docker: { daemon: true, containers: {}, networks: {} },
})
const ownProcess = (f: FakeEnv): NodeJS.ProcessEnv => { const env: NodeJS.ProcessEnv = { ...f.env, FAKE_NO_DAEMON: '1' }; delete env.FAKE_DAEMON; return env }

const NS = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n'
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: é-config, namespace: apps}\ndata: {k: "v  "}\n'

/** A session of calls that reads stdin, a relative file (cwd), the environment, and fails on purpose. */
function session(env: NodeJS.ProcessEnv, cwd: string) {
  const run = (tool: string, args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(tool, args, { env: { ...env, ...extra }, cwd, input, encoding: 'utf8' })
    return { tool, args, status: r.status, stdout: r.stdout, stderr: r.stderr }
  }
  return [
    run('kubectl', ['--context', 'kind-platform', 'apply', '-f', 'cm.yaml']),
    run('kubectl', ['--context', 'kind-platform', 'apply', '-f', '-'], NS),
    run('kubectl', ['--context', 'kind-platform', 'apply', '-f', 'cm.yaml']),
    run('kubectl', ['--context', 'kind-platform', 'get', 'configmap', '-n', 'apps', '-o', 'yaml']),
    run('kubectl', ['--context', 'kind-platform', 'get', 'secret', 'nope', '-n', 'apps']),
    run('kind', ['create', 'cluster', '--wait', '1s'], undefined, { KIND_CLUSTER_NAME: 'from-env' }),
    run('kind', ['get', 'clusters']),
    run('docker', ['inspect', '--type', 'container', 'missing']),
    run('helm', ['list', '--all-namespaces', '--output', 'json']),
  ]
}

test('the daemon and a process of its own give the same output, exit codes, recorded calls and state', () => {
  const viaDaemon = world()
  const own = world()
  try {
    assert.ok(viaDaemon.env.FAKE_DAEMON, 'fakeEnv() gives the daemon')
    const results = [viaDaemon, own].map((f) => {
      fs.writeFileSync(path.join(f.dir, 'cm.yaml'), CM)
      return session(f === own ? ownProcess(f) : f.env, f.dir)
    })
    const [a, b] = results as [ReturnType<typeof session>, ReturnType<typeof session>]
    for (let i = 0; i < a.length; i++) assert.equal(a[i], b[i], `${a[i]!.tool} ${a[i]!.args.join(' ')}`)
    // the session does fail where it should, so the comparison covers errors too
    assert.is(a[0]!.status, 1)
    assert.match(a[0]!.stderr, 'namespaces "apps" not found')
    assert.match(a[3]!.stdout, 'é-config')
    assert.match(a[6]!.stdout, 'from-env')
    assert.is(a[7]!.status, 1)
    const argv = (f: FakeEnv) => f.calls().map((c) => [c.tool, ...c.argv].join(' '))
    assert.equal(argv(viaDaemon), argv(own))
    const state = (f: FakeEnv) => JSON.stringify(f.state()).replaceAll(f.dir, '<dir>').replace(/"(creationTimestamp|uid|resourceVersion|Id|Created|StartedAt|EndpointID)":"[^"]*"/g, '')
      .replace(/127\.0\.0\.1:\d+/g, '<api>').replace(/"HostPort":"\d+"/g, '<port>') // the API server's port is picked at random
    assert.is(state(viaDaemon), state(own))
  } finally {
    viaDaemon.cleanup()
    own.cleanup()
  }
})

test('a call whose fault hangs is killed by its caller (exit 143 on SIGTERM) and the next call is answered', async () => {
  const f = world()
  try {
    f.inject({ tool: 'kubectl', match: 'get nodes', hang: true })
    const child = spawn('kubectl', ['--context', 'kind-platform', 'get', 'nodes'], { env: f.env, stdio: 'ignore' })
    const exited = new Promise<number | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? 143 : null))))
    // the call is recorded before it hangs
    for (let i = 0; i < 500 && !f.calls('kubectl').length; i++) await new Promise((r) => setTimeout(r, 10))
    child.kill('SIGTERM')
    assert.is(await exited, 143)
    const r = spawnSync('kubectl', ['config', 'current-context'], { env: f.env, encoding: 'utf8' })
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout, 'kind-platform\n')
  } finally {
    f.cleanup()
  }
})

test('a daemon that is gone: the call runs as a process of its own, with the same answer', async () => {
  const f = world()
  try {
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as net.AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const r = spawnSync('kubectl', ['config', 'current-context'], { env: { ...f.env, FAKE_DAEMON: `${port}:stale` }, encoding: 'utf8' })
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout, 'kind-platform\n')
    assert.is(r.stderr, '')
    assert.is(f.calls('kubectl').length, 1)
  } finally {
    f.cleanup()
  }
})

test('a call with a stale token is refused, says what to do, and changes nothing', () => {
  const f = world()
  try {
    const port = f.env.FAKE_DAEMON!.split(':')[0]
    const r = spawnSync('kubectl', ['config', 'use-context', 'kind-platform'], { env: { ...f.env, FAKE_DAEMON: `${port}:not-the-token` }, encoding: 'utf8' })
    assert.is(r.status, 97)
    assert.match(r.stderr, `fake kubectl: the fake daemon on port ${port} closed the call without an answer`)
    assert.match(r.stderr, 'unset FAKE_DAEMON')
    assert.is(f.calls().length, 0)
  } finally {
    f.cleanup()
  }
})

test.run()
