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
  assert.match(r.stdout, /^validate: valid: 0 errors, \d+ warnings? — \d+ kustomization builds, \d+ objects, .* in [\d.]+m?s$/m)
})

test('--json under --dry-run: builds are read-only, so they still run; one JSON document on stdout', async () => {
  const r = await runScript('validate', ['--json', '--dry-run', REPO], { timeoutMs: TIMEOUT })
  assert.is(r.code, 0, r.stderr)
  const j = JSON.parse(r.stdout) as { ok: boolean; counts: Record<string, number>; problems: unknown[]; elapsedMs: number }
  assert.is(j.ok, true)
  assert.equal(j.problems.filter((p: any) => p.severity === 'error'), [])
  assert.ok(j.counts.builds! >= 8 && j.counts.objects! > 40 && j.counts.buildsFailed === 0, JSON.stringify(j.counts))
  assert.ok(j.elapsedMs > 0)
})

test('a broken copy: exit 1, every problem names its file, object and field (human and --json)', async () => {
  const copy = tempDir('validate-cli-')
  try {
    for (const d of ['cluster', 'bootstrap', 'infrastructure']) fs.cpSync(path.join(REPO, d), path.join(copy, d), { recursive: true })
    const release = path.join(copy, 'infrastructure/controllers/metrics-server/release.yaml')
    fs.writeFileSync(release, fs.readFileSync(release, 'utf8').replace('interval: 30m', 'interval: 30 minutes'))
    const cfg = path.join(copy, 'infrastructure/configs/kustomization.yaml')
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('  - routes.yaml\n', '  - routes.yaml\n  - no-such-file.yaml\n'))
    const human = await runScript('validate', [copy], { timeoutMs: TIMEOUT })
    assert.is(human.code, 1, human.stdout + human.stderr)
    assert.match(human.stdout, /infrastructure\/controllers\/metrics-server\/release\.yaml\n\s+✖ HelmRelease kube-system\/metrics-server spec\.interval: "30 minutes" is not a duration/)
    assert.match(human.stdout, /infrastructure\/configs\/kustomization\.yaml\n\s+✖ resources\[\d\]: no-such-file\.yaml: no such file or directory \[kustomize\/path\]/)
    assert.match(human.stdout, /^validate: INVALID: \d+ errors?/m)
    const json = await runScript('validate', [copy, '--json'], { timeoutMs: TIMEOUT })
    assert.is(json.code, 1)
    const j = JSON.parse(json.stdout) as { ok: boolean; problems: { file: string; field?: string; rule: string; object?: { kind: string; name: string } }[] }
    assert.is(j.ok, false)
    assert.ok(j.problems.some((p) => p.file === 'infrastructure/controllers/metrics-server/release.yaml' && p.field === 'spec.interval' && p.object?.kind === 'HelmRelease' && p.object.name === 'metrics-server'))
    assert.ok(j.problems.some((p) => p.file === 'infrastructure/configs/kustomization.yaml' && p.rule === 'kustomize/path'))
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
