// The fake kubectl behaves like the real one where the scripts depend on it.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { lock, tryLock, unlock } from '../fakes/lock.mjs'
import { fakeEnv, REPO } from '../helpers/fakes.mts'

const world = () => fakeEnv({ kube: { currentContext: 'kind-platform', contexts: { 'kind-platform': { server: '127.0.0.1:6443' }, 'prod-eks': { reachable: false, server: 'prod.example:443' } }, objects: {} } })
const k = (env: NodeJS.ProcessEnv, args: string[], input?: string) => spawnSync('kubectl', args, { env, input, encoding: 'utf8' })

test('apply, get, wait and delete round-trip like the API server', () => {
  const f = world()
  try {
    let r = k(f.env, ['--context', 'kind-platform', 'apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: apps}\n')
    assert.is(r.status, 1)
    assert.match(r.stderr, 'namespaces "apps" not found')
    r = k(f.env, ['--context', 'kind-platform', 'apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: apps}\n')
    assert.is(r.status, 0, r.stderr)
    assert.match(r.stdout, 'namespace/apps created')
    r = k(f.env, ['--context', 'kind-platform', 'wait', 'kustomization/apps', '-n', 'apps', '--for=condition=Ready', '--timeout=1s'])
    assert.match(r.stdout, 'condition met')
    r = k(f.env, ['--context', 'kind-platform', 'get', 'ns', 'apps', '-o', 'json'])
    assert.is(JSON.parse(r.stdout).metadata.name, 'apps')
    r = k(f.env, ['--context', 'kind-platform', 'delete', 'namespace', 'apps'])
    assert.match(r.stdout, 'namespace "apps" deleted')
    r = k(f.env, ['--context', 'kind-platform', 'get', 'ks', '-n', 'apps', '-o', 'json'])
    assert.equal(JSON.parse(r.stdout).items, [])
    r = k(f.env, ['--context', 'prod-eks', 'get', 'ns'])
    assert.match(r.stderr, 'was refused')
    assert.is(f.calls('kubectl').length, 7)
  } finally {
    f.cleanup()
  }
})

test('delete --all or -l that matches nothing prints "No resources found" on stdout, exit 0 (kubectl delete.go)', () => {
  const f = world()
  try {
    k(f.env, ['--context', 'kind-platform', 'apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: flux-system}\n')
    for (const sel of [['--all'], ['-l', 'app=none']]) {
      const r = k(f.env, ['--context', 'kind-platform', '-n', 'flux-system', 'delete', 'kustomizations.kustomize.toolkit.fluxcd.io', ...sel, '--ignore-not-found', '--wait=true'])
      assert.is(r.status, 0, r.stderr)
      assert.is(r.stdout, 'No resources found\n')
      assert.is(r.stderr, '')
    }
    // a named object that is not there, with --ignore-not-found: found++ then the NotFound is filtered out, nothing printed
    const named = k(f.env, ['--context', 'kind-platform', 'delete', 'namespace', 'gone', '--ignore-not-found'])
    assert.is(named.status, 0)
    assert.is(named.stdout, '')
    k(f.env, ['--context', 'kind-platform', 'apply', '-f', '-'], 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n')
    const one = k(f.env, ['--context', 'kind-platform', '-n', 'flux-system', 'delete', 'kustomizations.kustomize.toolkit.fluxcd.io', '--all', '--ignore-not-found'])
    assert.is(one.stdout, 'kustomization.kustomize.toolkit.fluxcd.io "apps" deleted\n')
  } finally {
    f.cleanup()
  }
})

test('debug --custom exists as the client version and KUBECTL_DEBUG_CUSTOM_PROFILE decide (1.30: only =true; 1.31-1.32: unless =false)', () => {
  const f = world()
  try {
    const debug = (version: string, gate?: string) => {
      f.setState((s) => { s.kube.clientVersion = version })
      const env = { ...f.env }
      delete env.KUBECTL_DEBUG_CUSTOM_PROFILE
      if (gate !== undefined) env.KUBECTL_DEBUG_CUSTOM_PROFILE = gate
      return k(env, ['--context', 'kind-platform', 'debug', '-n', 'x', 'p', '--image=busybox', '--profile=restricted', '--custom=/tmp/c.json', '--', 'sh'])
    }
    const unknown = "error: unknown flag: --custom\nSee 'kubectl debug --help' for usage.\n"
    for (const [version, gate] of [['v1.30.13', undefined], ['v1.30.13', 'false'], ['v1.31.9', 'false'], ['v1.32.5', 'FALSE']] as const) {
      const r = debug(version, gate)
      assert.is(r.status, 1, `${version} ${gate}`)
      assert.is(r.stderr, unknown, `${version} ${gate}`)
      assert.is(r.stdout, '')
    }
    // accepted: the flag parses, and the fake goes on to look for the pod
    for (const [version, gate] of [['v1.30.13', 'true'], ['v1.30.13', 'TRUE'], ['v1.31.9', undefined], ['v1.33.1', 'false'], ['v1.34.1', undefined]] as const) {
      assert.match(debug(version, gate).stderr, 'pods "p" not found', `${version} ${gate}`)
    }
    f.setState((s) => { s.kube.clientVersion = 'v1.30.13' })
    const v = JSON.parse(k(f.env, ['version', '--client', '-o', 'json']).stdout)
    assert.equal([v.clientVersion.major, v.clientVersion.minor, v.clientVersion.gitVersion], ['1', '30', 'v1.30.13'])
  } finally {
    f.cleanup()
  }
})

test('stuck objects time out in wait; injected faults fail N times then recover', () => {
  const f = world()
  try {
    f.setState((s) => { s.kube.stuck = [{ kind: 'HelmRelease', name: 'grafana' }] })
    k(f.env, ['--context', 'kind-platform', 'apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: m}\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: grafana, namespace: m}\n')
    const r = k(f.env, ['--context', 'kind-platform', 'wait', 'helmrelease/grafana', '-n', 'm', '--for=condition=Ready'])
    assert.is(r.status, 1)
    assert.match(r.stderr, 'timed out waiting for the condition on helmreleases.helm.toolkit.fluxcd.io/grafana')
    f.inject({ tool: 'kubectl', match: 'get ns', exitCode: 1, stderr: 'Unable to connect to the server: EOF\n', times: 1 })
    assert.is(k(f.env, ['--context', 'kind-platform', 'get', 'ns']).status, 1)
    assert.is(k(f.env, ['--context', 'kind-platform', 'get', 'ns']).status, 0)
  } finally {
    f.cleanup()
  }
})

test('Secrets read back with base64 data, as the API server stores stringData', () => {
  const f = world()
  try {
    k(f.env, ['--context', 'kind-platform', 'apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\nstringData: {GREETING: hello}\n')
    const secret = JSON.parse(k(f.env, ['--context', 'kind-platform', 'get', 'secret', 's', '-n', 'a', '-o', 'json']).stdout)
    assert.is(secret.stringData, undefined)
    assert.is(Buffer.from(secret.data.GREETING, 'base64').toString(), 'hello')
  } finally {
    f.cleanup()
  }
})

test('kustomize builds are delegated to the real kubectl', () => {
  const f = world()
  try {
    const dir = f.dir + '/k'
    spawnSync('mkdir', ['-p', dir])
    spawnSync('sh', ['-c', `printf 'resources: [cm.yaml]\\n' > ${dir}/kustomization.yaml; printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: x}\\n' > ${dir}/cm.yaml`])
    const r = k(f.env, ['kustomize', dir])
    assert.is(r.status, 0, r.stderr)
    assert.match(r.stdout, 'name: x')
  } finally {
    f.cleanup()
  }
})

test('a fake that reads stdin waits for input written after it started (a slow caller)', async () => {
  const f = world()
  try {
    const { spawn } = await import('node:child_process')
    const child = spawn('kubectl', ['--context', 'kind-platform', 'diff', '--server-side', '-f', '-'], { env: f.env, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    // The answer must not depend on when the input comes: the fake reads to end of input whatever the delay.
    // (The delay only lets the fake start first, where reading an empty non-blocking pipe once read as "no
    // input": diff then said nothing would change and the namespaces were never applied.)
    await new Promise((r) => setTimeout(r, 500))
    child.stdin.end('apiVersion: v1\nkind: Namespace\nmetadata: {name: late}\n')
    assert.is(await exited, 1, out)
    assert.match(out, 'v1.Namespace..late')
  } finally {
    f.cleanup()
  }
})

const LOCK_MODULE = path.join(REPO, 'tests', 'fakes', 'lock.mjs')
/** Run `code` in a separate Node process with `lock`, `tryLock`, `unlock` of the fakes' lock module in scope. */
const withLockModule = (code: string) => spawnSync(process.execPath, ['--input-type=module', '-e', `import { lock, tryLock, unlock } from ${JSON.stringify(LOCK_MODULE)}\n${code}`], { encoding: 'utf8' })

test('a fake killed while holding the state lock does not block the fakes after it', () => {
  const f = world()
  try {
    const lockDir = path.join(f.dir, 'state.lock')
    // a fake that dies inside its critical section (SIGKILL, a test timeout): the lock stays behind
    const killed = withLockModule(`await lock(${JSON.stringify(lockDir)}); process.kill(process.pid, 'SIGKILL')`)
    assert.is(killed.signal, 'SIGKILL')
    assert.ok(fs.existsSync(lockDir), 'the dead holder left its lock')
    const r = k(f.env, ['config', 'current-context'])
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout, 'kind-platform\n')
    assert.not.ok(fs.existsSync(lockDir), 'taken over and released')
    // an empty lock directory, as fakes before the holder record left it, is taken over as well
    fs.mkdirSync(lockDir)
    assert.is(k(f.env, ['config', 'current-context']).status, 0)
    assert.is(f.calls('kubectl').length, 2)
  } finally {
    f.cleanup()
  }
})

test('the state lock is not taken from a live holder', async () => {
  const f = world()
  try {
    const lockDir = path.join(f.dir, 'state.lock')
    await lock(lockDir)
    const other = (code: string) => withLockModule(code).stdout.trim()
    assert.is(other(`console.log(tryLock(${JSON.stringify(lockDir)}))`), 'false', 'this test process holds it and is alive')
    unlock(lockDir)
    assert.is(other(`console.log(tryLock(${JSON.stringify(lockDir)}))`), 'true', 'free again (and that process has died holding it)')
    assert.ok(tryLock(lockDir), 'its holder is gone: taken over')
    unlock(lockDir)
  } finally {
    f.cleanup()
  }
})

test.run()
