// up when things go wrong or differ: a HelmRelease that never gets Ready, FLUX_MODE=git with a token,
// FLUX_MODE=none (everything through helm and kubectl).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript } from '../helpers/proc.mts'
import { clusterWorld, isMutating, line, seedPlatformState } from './world.mts'

test('a HelmRelease that never becomes Ready fails up after RECONCILE_TIMEOUT, names it, and leaves a diagnostics bundle', async () => {
  const f = clusterWorld({ RECONCILE_TIMEOUT: '2s' }, {})
  try {
    f.setState((s) => { s.kube.stuck = [{ kind: 'HelmRelease', name: 'kube-prometheus-stack', namespace: 'monitoring', message: 'Running install action; waiting for 12 resources' }] })
    const r = await runScript('up', ['--only', 'addons,flux,reconcile', '--json'], { env: f.env })
    assert.is(r.code, 6, r.stderr)
    assert.match(r.stderr, /✖ reconcile: HelmRelease monitoring\/kube-prometheus-stack: Running install action.*not Ready after 2\.0s/)
    assert.match(r.stderr, 'holding up ks/infra-controllers')
    const m = /diagnostics bundle: (\S+)/.exec(r.stderr)
    assert.ok(m, 'bundle path printed')
    const report = JSON.parse(r.stdout)
    assert.is(report.ok, false)
    const dir = report.diagnostics as string
    assert.ok(path.resolve(m![1]!) === dir || dir.endsWith(m![1]!))
    assert.ok(dir.includes(path.join('diagnostics', '')))
    for (const file of ['summary.txt', 'flux-get-all.txt', 'flux-objects.yaml', 'events.txt', 'pods.txt', 'helm-releases.json']) {
      assert.ok(fs.existsSync(path.join(dir, file)), `${file} in the bundle`)
    }
    assert.match(fs.readFileSync(path.join(dir, 'summary.txt'), 'utf8'), 'kube-prometheus-stack')
    assert.match(fs.readFileSync(path.join(dir, 'flux-get-all.txt'), 'utf8'), /helmrelease\/kube-prometheus-stack.*False/)
    assert.match(fs.readFileSync(path.join(dir, 'flux-objects.yaml'), 'utf8'), 'kind: HelmRelease')
    assert.ok(fs.readdirSync(path.join(dir, 'logs')).some((n) => n.startsWith('flux-system_kustomize-controller')), 'controller logs')
    const phases = Object.fromEntries(report.phases.map((p: any) => [p.id, p.status]))
    assert.is(phases.reconcile, 'failed')
    assert.is(phases.flux, 'ok')
  } finally {
    f.cleanup()
  }
})

test('a helm install that hangs is killed after HELM_TIMEOUT plus a small margin, not max(HELM_TIMEOUT, 300s) + 120s', async () => {
  const f = clusterWorld({ HELM_TIMEOUT: '2s' }, {})
  try {
    f.inject({ tool: 'helm', match: ['upgrade', '--install', 'metrics-server'], hang: true })
    const r = await runScript('up', ['--only', 'addons'], { env: f.env, timeoutMs: 180_000 })
    assert.is(r.signal, null, 'hung')
    assert.is(r.code, 6, r.stderr)
    assert.match(r.stderr, /✖ addons\/metrics-server: timed out after 3s/)
    const upgrade = f.calls('helm').find((c) => c.argv[0] === 'upgrade')!
    assert.ok(upgrade.argv.join(' ').includes('--timeout 2s'), upgrade.argv.join(' '))
    assert.not.match(r.stderr, /exit code 143|Warning/)
  } finally {
    f.cleanup()
  }
})

test('FLUX_MODE=git: the token reaches flux only through its environment and never appears in --verbose output', async () => {
  const token = 'ghp_S3cretT0kenValue1234567890abcdef'
  const f = clusterWorld({ FLUX_MODE: 'git', FLUX_GIT_URL: 'https://github.com/example/platform.git', FLUX_GIT_PATH: 'bootstrap/git', GITHUB_TOKEN: token })
  try {
    seedPlatformState(f, { image: { repository: 'kind-registry:5000/demo', tag: 'cccccccccccc', sourceHash: 'c' } })
    const r = await runScript('up', ['--only', 'addons,flux,reconcile', '--verbose', '--json'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, '$ flux bootstrap git --url=https://github.com/example/platform.git')
    assert.not.ok(r.stderr.includes(token), 'not in stderr')
    assert.not.ok(r.stdout.includes(token), 'not in stdout')
    assert.not.ok(f.calls().some((c) => c.argv.some((a) => a.includes(token))), 'not in any argv')
    const boot = f.state().flux.bootstrap
    assert.is(boot.passwordFrom, 'env')
    assert.is(boot.tokenAuth, true)
    assert.is(boot.path, 'bootstrap/git')
    // the apps run the image up built, through spec.images on the Kustomizations flux created from git
    const ks = f.state().kube.objects['kind-platform'].find((o: any) => o.kind === 'Kustomization' && o.metadata.name === 'apps-dev')
    assert.equal(ks.spec.images, [{ name: 'demo', newName: 'kind-registry:5000/demo', newTag: 'cccccccccccc' }])
    f.clearCalls()
    const r2 = await runScript('up', ['--only', 'addons,flux,reconcile'], { env: f.env })
    assert.is(r2.code, 0, r2.stderr)
    assert.equal(f.calls().filter(isMutating).map(line), [], 'already bootstrapped: nothing to do')
  } finally {
    f.cleanup()
  }
})

test('FLUX_MODE=none: every add-on through helm in dependency order, manifests applied with the image replaced, then rollouts', async () => {
  const f = clusterWorld({ FLUX_MODE: 'none' })
  try {
    seedPlatformState(f, { image: { repository: 'kind-registry:5000/demo', tag: 'dddddddddddd', sourceHash: 'd' } })
    const r = await runScript('up', ['--only', 'addons,flux,reconcile'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    const releases = f.state().helm.releases['kind-platform']
    assert.equal(Object.keys(releases).sort(), ['cert-manager/cert-manager', 'ingress/traefik', 'kube-system/metrics-server', 'monitoring/kube-prometheus-stack'])
    assert.is(releases['cert-manager/cert-manager'].chart, 'cert-manager-v1.21.1')
    const calls = f.calls().map(line)
    assert.not.ok(calls.some((l) => l.startsWith('flux ')), 'no flux at all')
    assert.ok(calls.some((l) => l.includes('rollout status deployment/demo -n demo-production')))
    const objs = f.state().kube.objects['kind-platform']
    const dep = objs.find((o: any) => o.kind === 'Deployment' && o.metadata.namespace === 'demo-staging')
    assert.is(dep.spec.template.spec.containers[0].image, 'kind-registry:5000/demo:dddddddddddd')
    assert.ok(objs.some((o: any) => o.kind === 'Gateway' && o.metadata.name === 'platform'), 'infrastructure/configs applied')
    assert.ok(objs.some((o: any) => o.kind === 'ClusterIssuer' && o.metadata.name === 'platform-local-ca'), 'with the issuer of the local CA')
    f.clearCalls()
    const r2 = await runScript('up', ['--only', 'addons,flux,reconcile'], { env: f.env })
    assert.is(r2.code, 0, r2.stderr)
    assert.equal(f.calls().filter(isMutating).map(line), [])
  } finally {
    f.cleanup()
  }
})

test('FLUX_MODE=git over ssh:// without a key file: refused before any external call, exit 2, the fix named', async () => {
  const f = clusterWorld({ FLUX_MODE: 'git', FLUX_GIT_URL: 'ssh://git@github.com/example/platform.git', FLUX_GIT_PATH: 'bootstrap/git' })
  try {
    const r = await runScript('up', [], { env: f.env, timeoutMs: 180_000 })
    assert.is(r.code, 2, r.stderr)
    assert.match(r.stderr, 'needs FLUX_GIT_SSH_KEY_FILE')
    assert.match(r.stderr, 'set FLUX_GIT_SSH_KEY_FILE')
    assert.equal(f.calls(), [], 'nothing was run, nothing created')
  } finally {
    f.cleanup()
  }
})

test('the fake flux bootstrap over ssh without --private-key-file ends as the real one: the GitRepository health check fails', () => {
  const f = clusterWorld()
  try {
    const r = spawnSync('flux', ['bootstrap', 'git', '--url=ssh://git@github.com/example/platform.git', '--branch=main', '--path=bootstrap/git', '--silent', '--context', 'kind-platform', '--timeout=60s'], { env: f.env, encoding: 'utf8' })
    assert.is(r.status, 1)
    assert.match(r.stderr, /✔ public key: ecdsa-sha2-nistp384 /)
    assert.match(r.stderr, "✗ gitrepository 'flux-system/flux-system' not ready: 'failed to checkout and determine revision: unable to clone 'ssh://git@github.com/example/platform.git': ssh: handshake failed: ssh: unable to authenticate")
    assert.match(r.stderr.trim().split('\n').at(-1)!, /^✗ bootstrap failed with 2 health check failure\(s\): \[error while waiting for GitRepository to be ready: /)
    const repo = f.state().kube.objects['kind-platform'].find((o: any) => o.kind === 'GitRepository')
    assert.is(repo.status.conditions[0].status, 'False')
  } finally {
    f.cleanup()
  }
})

test('FLUX_MODE=git over ssh:// with FLUX_GIT_SSH_KEY_FILE: flux gets --private-key-file, the passphrase only through GIT_PASSWORD, a token never', async () => {
  const passphrase = 'correct-horse-battery-staple-42'
  const token = 'ghp_NotForSshT0kenValue1234567890abcd'
  const keyText = 'b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0-not-a-real-key'
  for (const withPassphrase of [false, true]) {
    const f = clusterWorld({ FLUX_MODE: 'git', FLUX_GIT_URL: 'ssh://git@github.com/example/platform.git', FLUX_GIT_PATH: 'bootstrap/git', GITHUB_TOKEN: token, ...(withPassphrase ? { FLUX_GIT_SSH_KEY_PASSPHRASE: passphrase } : {}) })
    try {
      const key = path.join(f.dir, 'deploy-key')
      fs.writeFileSync(key, `-----BEGIN OPENSSH PRIVATE KEY-----\n${keyText}\n-----END OPENSSH PRIVATE KEY-----\n`, { mode: 0o600 })
      const r = await runScript('up', ['--only', 'flux', '--verbose'], { env: { ...f.env, FLUX_GIT_SSH_KEY_FILE: key }, timeoutMs: 180_000 })
      assert.is(r.code, 0, r.stderr)
      assert.match(r.stderr, `--private-key-file=${key}`)
      const boot = f.state().flux.bootstrap
      assert.is(boot.privateKeyFile, key)
      assert.is(boot.tokenAuth, false)
      // over ssh flux takes GIT_PASSWORD as the key's passphrase: the GitHub token must not go there
      assert.is(boot.passwordFrom, withPassphrase ? 'env' : 'none')
      for (const secret of [passphrase, token, keyText]) {
        assert.not.ok(r.stderr.includes(secret) || r.stdout.includes(secret), 'not printed')
        assert.not.ok(f.calls().some((c) => c.argv.some((a) => a.includes(secret))), 'not in any argv')
      }
    } finally {
      f.cleanup()
    }
  }
})

test('a failing helm release stops up with the release named and a diagnostics bundle', async () => {
  const f = clusterWorld({ FLUX_MODE: 'none' })
  try {
    f.setState((s) => { s.helm = { version: 'v3.19.0', releases: {}, failing: ['traefik'] } })
    const r = await runScript('up', ['--only', 'addons'], { env: f.env })
    assert.is(r.code, 5, r.stderr)
    // helm v3 `upgrade --install` of a new release returns install.go's error unwrapped
    assert.match(r.stderr, /✖ addons\/traefik: failed with exit code 1: Error: release traefik failed, and has been uninstalled due to atomic being set: context deadline exceeded/)
    assert.match(r.stderr, 'diagnostics bundle:')
  } finally {
    f.cleanup()
  }
})

test('the smoke phase runs the smoke checks against the platform; failed checks fail up (exit 1) by name, with a bundle', async () => {
  const f = clusterWorld({ ENVIRONMENTS: 'dev' })
  try {
    assert.is((await runScript('up', ['--only', 'addons,flux,reconcile'], { env: f.env })).code, 0)
    // nothing answers behind the Services in the fake cluster: the checks that need them must fail
    const r = await runScript('up', ['--only', 'smoke'], { env: f.env })
    assert.is(r.code, 1, r.stderr)
    assert.match(r.stderr, /✖ smoke: \d+ of \d+ checks failed: .*cluster\/grafana/)
    assert.match(r.stderr, 'diagnostics bundle:')
  } finally {
    f.cleanup()
  }
})

test('the wait is bounded even when there is nothing to time (Flux objects cannot be listed)', async () => {
  const f = clusterWorld({ RECONCILE_TIMEOUT: '1s' })
  try {
    f.inject({ tool: 'kubectl', match: 'helmreleases.helm.toolkit.fluxcd.io', exitCode: 1, stderr: 'error: the server doesn\'t have a resource type "kustomizations"\n' })
    const r = await runScript('up', ['--only', 'reconcile'], { env: f.env, timeoutMs: 30_000 })
    assert.is(r.code, 6, r.stderr)
    assert.match(r.stderr, '✖ reconcile: cannot list the Flux objects after 1.0s')
  } finally {
    f.cleanup()
  }
})

test.run()
