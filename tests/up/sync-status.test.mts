// sync (the inner loop) and status (one screen) on a platform built by up, against the fake CLIs.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { REPO } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'
import { clusterWorld, isMutating, line } from './world.mts'

const UP = ['--only', 'addons,flux,reconcile']

test('sync before any up fails at once (exit 4) naming up, and tries no Flux install', async () => {
  const f = clusterWorld()
  try {
    const r = await runScript('sync', [], { env: f.env })
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, '✖ sync: no platform to sync to: up has not built one here')
    assert.match(r.stderr, 'run npx zx scripts/up.mts first')
    assert.equal(f.calls(), [])
  } finally {
    f.cleanup()
  }
})

test('sync on a converged platform changes nothing; after the registry lost the apps artifact it lists the files, pushes to dev only and waits', async () => {
  const f = clusterWorld()
  try {
    assert.is((await runScript('up', UP, { env: f.env })).code, 0)
    f.clearCalls()
    let r = await runScript('sync', ['--no-image'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /✔ sync .*nothing changed/)
    assert.equal(f.calls().filter(isMutating).map(line), [])

    // someone changed an overlay since the last push: the registry holds other content under dev's tag
    const staging = f.state().flux.artifacts['apps:staging'].digest
    f.setState((s) => { s.flux.artifacts['apps:dev'].digest = '0'.repeat(64) })
    const manifest = path.join(f.env.STATE_DIR!, 'apps-artifact-files.json')
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8'))
    m.files['apps/overlays/dev/kustomization.yaml'] = 'old'
    delete m.files['apps/base/hpa.yaml']
    fs.writeFileSync(manifest, JSON.stringify(m))
    f.clearCalls()
    r = await runScript('sync', ['--no-image', '--json'], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, 'apps (dev): flux diff artifact: the remote artifact contents differs from the local one')
    assert.match(r.stderr, '  M apps/overlays/dev/kustomization.yaml')
    assert.match(r.stderr, '  A apps/base/hpa.yaml')
    const calls = f.calls().map(line)
    const push = calls.findIndex((l) => l.startsWith('flux push artifact oci://localhost:5001/apps:dev '))
    const rec = calls.findIndex((l) => l.startsWith('flux reconcile source oci apps-dev'))
    const wait = calls.findLastIndex((l) => l.includes('helmreleases.helm.toolkit.fluxcd.io'))
    assert.ok(push >= 0 && push < rec && rec < wait, 'push, reconcile, wait')
    assert.not.ok(calls.some((l) => l.startsWith('flux push artifact oci://localhost:5001/platform')), 'the infrastructure did not change')
    assert.is(f.state().flux.artifacts['apps:staging'].digest, staging, 'staging waits for promote')
    const out = JSON.parse(r.stdout)
    assert.is(out.ok, true)
    assert.ok(out.changed.includes('apps artifact (dev)'))
  } finally {
    f.cleanup()
  }
})

test('status shows cluster, registry, Flux objects, apps with image tags and HPA metrics; --json; exit 1 when something is not Ready', async () => {
  const f = clusterWorld()
  try {
    assert.is((await runScript('up', UP, { env: f.env })).code, 0)
    f.clearCalls()
    let r = await runScript('status', [], { env: f.env })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stdout, 'registry  kind-registry: running on 127.0.0.1:5001')
    assert.match(r.stdout, /Kustomization\/flux-system\/apps-dev +True/)
    assert.match(r.stdout, /HelmRelease\/monitoring\/kube-prometheus-stack +True/)
    assert.match(r.stdout, /demo-production +3\/3 +0\.1\.0 +3→3 +3\.\.6 +8% +70%/)
    assert.match(r.stdout, 'http://dev.demo.localhost:8080')
    assert.match(r.stdout, 'everything is Ready')
    assert.equal(f.calls().filter(isMutating).map(line), [], 'status is read-only')
    r = await runScript('status', ['--json'], { env: f.env })
    const j = JSON.parse(r.stdout)
    assert.is(j.ok, true)
    assert.equal(j.apps.map((a: any) => a.env), ['dev', 'staging', 'production'])
    assert.is(j.hpa[0].cpu, '8%')
    // a HelmRelease stops being Ready
    f.setState((s) => {
      const hr = s.kube.objects['kind-platform'].find((o: any) => o.kind === 'HelmRelease' && o.metadata.name === 'traefik')
      hr.status.conditions = [{ type: 'Ready', status: 'False', message: 'install retries exhausted' }]
    })
    r = await runScript('status', [], { env: f.env })
    assert.is(r.code, 1)
    assert.match(r.stdout, /HelmRelease\/ingress\/traefik +False .*install retries exhausted/)
  } finally {
    f.cleanup()
  }
})

/** a runnable copy of the repository (scripts + GitOps dirs, node_modules linked) that a test may edit */
function repoCopy(): string {
  const dir = tempDir('sync-watch-')
  for (const rel of ['scripts', 'apps', 'infrastructure', 'bootstrap', 'cluster', 'package.json', 'tsconfig.json']) {
    fs.cpSync(path.join(REPO, rel), path.join(dir, rel), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) })
  }
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'))
  return dir
}

test('sync --watch re-syncs after a manifest edit and stops cleanly on Ctrl-C', async () => {
  const f = clusterWorld()
  const copy = repoCopy()
  try {
    assert.is((await runScript('up', UP, { env: f.env })).code, 0)
    const child = spawn(process.execPath, [path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), path.join(copy, 'scripts', 'sync.mts'), '--watch', '--no-image', '--debounce', '200'], { cwd: copy, env: f.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => { err += d })
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    const until = async (pred: () => boolean, ms: number) => {
      const t0 = Date.now()
      while (!pred()) {
        if (Date.now() - t0 > ms) throw new Error(`timed out; stderr so far:\n${err}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    try {
      await until(() => (err.match(/✔ sync /g) ?? []).length >= 1, 60_000)
      assert.match(err, /✔ sync .*nothing changed/)
      fs.appendFileSync(path.join(copy, 'apps', 'overlays', 'dev', 'kustomization.yaml'), '# edited by the watch test\n')
      await until(() => (err.match(/✔ sync /g) ?? []).length >= 2, 60_000)
      assert.match(err.split('✔ sync ').at(-1)!, 'changed apps artifact (dev)')
      assert.match(err, '  M apps/overlays/dev/kustomization.yaml')
    } finally {
      child.kill('SIGINT')
    }
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('hung'), 15_000))])
    assert.is(code, 130, 'Ctrl-C ends the watch with the interrupted exit code, no stack trace')
    assert.not.match(err, /at .*\.mts:\d+/)
  } finally {
    removeDir(copy)
    f.cleanup()
  }
})

test.run()
