// `npx zx scripts/validate.mts` as a user runs it: on the repository itself, on a broken copy, --json, --help.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { REPO } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const TIMEOUT = 120_000

test('the repository is valid: exit 0 and a summary with counts and elapsed time', async () => {
  const r = await runScript('validate', [], { timeoutMs: TIMEOUT })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /^validate: valid: 0 errors, \d+ warnings? — \d+ kustomization builds, \d+ objects, .* in (\d+m)?[\d.]+m?s$/m) // 1m5s on a busy machine
})

test('a broken copy under --json --dry-run: exit 1, each problem names its file, object and field', async () => {
  const copy = tempDir('validate-cli-')
  try {
    for (const d of ['cluster', 'bootstrap', 'infrastructure']) fs.cpSync(path.join(REPO, d), path.join(copy, d), { recursive: true })
    const release = path.join(copy, 'infrastructure/controllers/metrics-server/release.yaml')
    fs.writeFileSync(release, fs.readFileSync(release, 'utf8').replace('interval: 30m', 'interval: 30 minutes'))
    const cfg = path.join(copy, 'infrastructure/configs/kustomization.yaml')
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('  - routes.yaml\n', '  - routes.yaml\n  - no-such-file.yaml\n'))
    // --dry-run: kustomize builds are read-only, so they still run
    const r = await runScript('validate', [copy, '--json', '--dry-run'], { timeoutMs: TIMEOUT })
    assert.is(r.code, 1, r.stderr)
    const j = JSON.parse(r.stdout) as { ok: boolean; elapsedMs: number; counts: Record<string, number>; problems: { file: string; field?: string; rule: string; message: string; object?: { kind: string; namespace?: string; name: string } }[] }
    assert.is(j.ok, false)
    assert.ok(j.counts.builds! >= 5 && j.counts.errors! >= 2 && j.elapsedMs > 0, JSON.stringify(j.counts))
    const interval = j.problems.find((p) => p.rule === 'flux/duration')
    assert.equal(interval && { file: interval.file, field: interval.field, object: interval.object }, {
      file: 'infrastructure/controllers/metrics-server/release.yaml',
      field: 'spec.interval',
      object: { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', namespace: 'kube-system', name: 'metrics-server' },
    })
    const missing = j.problems.find((p) => p.rule === 'kustomize/path')
    assert.equal(missing && { file: missing.file, field: missing.field }, { file: 'infrastructure/configs/kustomization.yaml', field: 'resources[3]' })
    assert.match(missing!.message, /no-such-file\.yaml: no such file or directory/)
    // this copy has no apps/: the Flux Kustomizations that point there are reported, not silently skipped
    assert.ok(j.problems.some((p) => p.rule === 'ref/flux-path' && p.file === 'bootstrap/sync/apps.yaml' && p.field === 'spec.path'))
  } finally {
    removeDir(copy)
  }
})

test('--help exits 0 without validating; a root that is not a checkout is a usage error', async () => {
  const help = await runScript('validate', ['--help'])
  assert.is(help.code, 0)
  assert.match(help.stdout, /npx zx scripts\/validate\.mts \[<root>\]/)
  assert.match(help.stdout, /restricted/)
  const empty = tempDir('validate-empty-')
  try {
    const r = await runScript('validate', [empty])
    assert.is(r.code, 2)
    assert.match(r.stderr, /✖ validate: .* has none of cluster, bootstrap, infrastructure, apps/)
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace')
  } finally {
    removeDir(empty)
  }
})

test.run()
