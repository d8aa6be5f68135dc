// The tls phase of up against the fake CLIs: the local CA is created once in the state dir, its Secret
// cert-manager/platform-local-ca is applied from stdin once and not again on a converged re-run, a re-created
// cluster gets the SAME CA back (the user's one-time trust keeps working), dry-run only says what it would do,
// and the key is never in any argv or output (also with --verbose).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript } from '../helpers/proc.mts'
import { clusterWorld, isMutating, line } from '../up/world.mts'
import { REPO, type FakeEnv } from '../helpers/fakes.mts'

const CTX = 'kind-platform'
const nsCertManager = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cert-manager' } }

function world(objects: unknown[] = [nsCertManager]): FakeEnv {
  const f = clusterWorld()
  f.setState((s) => { s.kube.objects[CTX] = objects })
  return f
}

const up = (f: FakeEnv, args: string[] = []) => runScript('up', ['--only', 'tls', ...args], { env: f.env, timeoutMs: 120_000 })
const secretOf = (f: FakeEnv) => f.state().kube.objects[CTX].find((o: any) => o.kind === 'Secret' && o.metadata.name === 'platform-local-ca' && o.metadata.namespace === 'cert-manager')
const caDir = (f: FakeEnv) => path.join(f.env.STATE_DIR!, 'tls')

/** Every byte the run produced or passed to a tool must be free of the key, in PEM, base64 or as its body lines. */
function assertKeyNowhere(f: FakeEnv, outputs: string[]): void {
  const key = fs.readFileSync(path.join(caDir(f), 'ca.key'), 'utf8')
  const forms = [key.trim(), Buffer.from(key).toString('base64'), ...key.split('\n').filter((l) => l.length > 40 && !l.startsWith('-----'))]
  const argv = f.calls().map((c) => c.argv.join(' '))
  for (const form of forms) {
    for (const a of argv) assert.not.ok(a.includes(form), `the key is in argv: ${a.slice(0, 80)}…`)
    for (const o of outputs) assert.not.ok(o.includes(form), 'the key is in the output')
  }
}

test('first run: creates the CA (key 0600) and applies its Secret from stdin; a converged re-run changes nothing', async () => {
  const f = world()
  try {
    const r = await up(f, ['--verbose'])
    assert.is(r.code, 0, r.stderr)
    const key = path.join(caDir(f), 'ca.key')
    assert.is(fs.statSync(key).mode & 0o777, 0o600)
    const cert = fs.readFileSync(path.join(caDir(f), 'ca.crt'), 'utf8')
    assert.match(new crypto.X509Certificate(cert).subject, /CN=platform local CA /)
    const secret = secretOf(f)
    assert.ok(secret, 'Secret cert-manager/platform-local-ca exists')
    assert.is(secret.type, 'kubernetes.io/tls')
    assert.is(Buffer.from(secret.data['tls.crt'], 'base64').toString(), cert)
    assert.is(Buffer.from(secret.data['tls.key'], 'base64').toString(), fs.readFileSync(key, 'utf8'))
    const applies = f.calls('kubectl').filter((c) => c.argv.includes('apply'))
    assert.equal(applies.map((c) => c.argv.join(' ')), [`--context ${CTX} apply --server-side --field-manager=platform-up --force-conflicts -f -`])
    assert.match(r.stderr, /created the local CA "platform local CA [^"]+" in \S*tls; Secret cert-manager\/platform-local-ca created/)
    assert.match(r.stderr, 'changed: local CA, local CA secret')
    assertKeyNowhere(f, [r.stdout, r.stderr])

    f.clearCalls()
    const r2 = await up(f, ['--verbose'])
    assert.is(r2.code, 0, r2.stderr)
    assert.equal(f.calls().filter(isMutating).map(line), [], 'converged: no mutating call')
    assert.match(r2.stderr, 'Secret cert-manager/platform-local-ca up to date')
    assert.match(r2.stderr, 'nothing changed')
    assertKeyNowhere(f, [r2.stdout, r2.stderr])
  } finally {
    f.cleanup()
  }
})

test('a re-created cluster gets the same CA back (trust it once); a changed Secret is put right', async () => {
  const f = world()
  try {
    assert.is((await up(f)).code, 0)
    const fingerprint = new crypto.X509Certificate(fs.readFileSync(path.join(caDir(f), 'ca.crt'))).fingerprint256
    // the cluster is gone and comes back empty (down + up): only the namespace again
    f.setState((s) => { s.kube.objects[CTX] = [nsCertManager] })
    const r = await up(f)
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, 'Secret cert-manager/platform-local-ca created')
    assert.not.match(r.stderr, 'created the local CA')
    const secret = secretOf(f)
    assert.is(new crypto.X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64')).fingerprint256, fingerprint)
    // someone replaced the Secret's key: up restores ours
    f.setState((s) => { s.kube.objects[CTX].find((o: any) => o.kind === 'Secret').data['tls.key'] = Buffer.from('other').toString('base64') })
    const r2 = await up(f)
    assert.is(r2.code, 0, r2.stderr)
    assert.match(r2.stderr, 'Secret cert-manager/platform-local-ca updated')
    assert.is(Buffer.from(secretOf(f).data['tls.key'], 'base64').toString(), fs.readFileSync(path.join(caDir(f), 'ca.key'), 'utf8'))
  } finally {
    f.cleanup()
  }
})

test('--dry-run: says it would create the CA and the Secret; writes no file and changes nothing', async () => {
  const f = world()
  try {
    const r = await up(f, ['--dry-run'])
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /would create the local CA in \S*tls; would apply Secret cert-manager\/platform-local-ca from it/)
    assert.not.ok(fs.existsSync(caDir(f)), 'no CA written')
    assert.equal(f.calls().filter(isMutating).map(line), [])
    assert.is(secretOf(f), undefined)
  } finally {
    f.cleanup()
  }
})

test('without the cert-manager namespace: a precondition that says which phase creates it; the CA is kept for next time', async () => {
  const f = world([])
  try {
    const r = await up(f)
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, 'the namespace cert-manager does not exist in kind-platform')
    assert.match(r.stderr, 'addons phase')
    assert.not.match(r.stderr, /at .*\.mts:\d+/, 'no stack trace')
    assert.ok(fs.existsSync(path.join(caDir(f), 'ca.key')))
  } finally {
    f.cleanup()
  }
})

test('a file where the CA directory belongs: exit 4 naming it, nothing overwritten', async () => {
  const f = world()
  try {
    fs.mkdirSync(f.env.STATE_DIR!, { recursive: true })
    fs.writeFileSync(caDir(f), 'mine')
    const r = await up(f)
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, `${caDir(f)} is a file, not a directory`)
    assert.is(fs.readFileSync(caDir(f), 'utf8'), 'mine')
    assert.equal(f.calls().filter(isMutating).map(line), [])
  } finally {
    f.cleanup()
  }
})

test('FLUX_MODE=none: the CA Secret before the issuer is applied, then up waits for the gateway certificates; one never issued fails (exit 6) saying where to look', async () => {
  const f = clusterWorld({ FLUX_MODE: 'none', ENVIRONMENTS: 'dev' })
  try {
    const r = await runScript('up', ['--only', 'addons,tls,flux,reconcile'], { env: f.env, timeoutMs: 180_000 })
    assert.is(r.code, 0, r.stderr)
    const calls = f.calls().map(line)
    const secret = calls.findIndex((l) => l.includes('get secret platform-local-ca'))
    const configs = calls.findIndex((l) => /kubectl kustomize .*infrastructure\/configs$/.test(l))
    const wait = calls.findIndex((l) => l.includes('wait certificates.cert-manager.io --all -n ingress --for=condition=Ready'))
    assert.ok(secret >= 0 && secret < configs && configs < wait, `secret ${secret}, configs ${configs}, wait ${wait}`)
    assert.match(r.stderr, 'certificates issued')
    f.setState((s) => { s.kube.stuck = [{ kind: 'Certificate', name: 'demo-dev', namespace: 'ingress', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' }] })
    f.setState((s) => { s.kube.objects[CTX] = s.kube.objects[CTX].filter((o: any) => o.kind !== 'Certificate') })
    const r2 = await runScript('up', ['--only', 'flux,reconcile'], { env: f.env, timeoutMs: 180_000 })
    assert.is(r2.code, 6, r2.stderr)
    assert.match(r2.stderr, "the gateway's certificates are not Ready: error: timed out waiting for the condition on certificates.cert-manager.io/demo-dev")
    assert.match(r2.stderr, 'describe clusterissuer platform-local-ca')
  } finally {
    f.cleanup()
  }
})

test('STATE_DIR inside the repository but not git-ignored: refused before any key exists (exit 2), also under --dry-run', async () => {
  const f = world()
  const rel = `tls-test-state-${process.pid}`
  try {
    const r = await runScript('up', ['--only', 'tls', '--dry-run'], { env: { ...f.env, STATE_DIR: rel }, timeoutMs: 120_000 })
    assert.is(r.code, 2, r.stderr)
    assert.match(r.stderr, `STATE_DIR ${rel} is inside the repository and not git-ignored: the local CA's key (${rel}/tls/ca.key) could be committed`)
    assert.match(r.stderr, `add ${rel}/ to .gitignore`)
    assert.not.ok(fs.existsSync(path.join(REPO, rel)), 'nothing written into the repository')
  } finally {
    fs.rmSync(path.join(REPO, rel), { recursive: true, force: true })
    f.cleanup()
  }
})

test.run()
