// The pure parts of promotion: what the user asked (flags/positionals), the refusal rules and the plan, digests,
// the object diff, the image pinned into the apps artifact, the status rows, flux's artifact table.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import fs from 'node:fs'
import path from 'node:path'
import { REPO } from '../helpers/fakes.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'
import { parseRequest } from '../../scripts/lib/promote/request.mts'
import { checkOrder, planPromotion, runningByEnv, type Observed } from '../../scripts/lib/promote/rules.mts'
import { digestOf, parseDigestInput, resolveDigest, shortDigest } from '../../scripts/lib/promote/digest.mts'
import { diffObjects, renderDiff } from '../../scripts/lib/promote/diff.mts'
import { appsTransform, pinImage } from '../../scripts/lib/flux/apps-artifact.mts'
import { APPS_PATHS, PLATFORM_PATHS, stageArtifact } from '../../scripts/lib/flux/artifact.mts'
import { artifactRows } from '../../scripts/lib/status/model.mts'
import { parseArtifactList } from '../../scripts/lib/tools/flux.mts'
import { isStepError, type StepError } from '../../scripts/lib/shell/errors.mts'
import { sourcesToFetch } from '../../scripts/lib/up/phases/flux.mts'

const A = `sha256:${'a'.repeat(64)}`
const B = `sha256:${'b'.repeat(64)}`
const C = `sha256:${'c'.repeat(63)}d`

function refusal(fn: () => unknown): StepError {
  try { fn() } catch (e) { if (isStepError(e)) return e; throw e }
  throw new Error('expected a refusal')
}

test('request: positionals, --to/--digest, --undo; every malformed combination is a usage error (exit 2)', () => {
  assert.equal(parseRequest(['dev', 'staging'], {}), { kind: 'promote', from: 'dev', to: 'staging', skipStaging: false })
  assert.equal(parseRequest(['dev', 'production'], { 'skip-staging': true, digest: 'abcdef1' }), { kind: 'promote', from: 'dev', to: 'production', skipStaging: true, digest: { prefix: 'abcdef1', text: 'abcdef1' } })
  assert.equal(parseRequest([], { to: 'production', digest: A }), { kind: 'rollback', to: 'production', digest: { full: A, prefix: 'a'.repeat(64), text: A } })
  assert.equal(parseRequest([], { undo: 'production' }), { kind: 'undo', to: 'production' })
  const bad: [string[], Record<string, unknown>, string][] = [
    [[], {}, 'nothing to promote'],
    [['dev'], {}, 'got one: dev'],
    [['dev', 'staging', 'production'], {}, 'got 3'],
    [['dev', 'dev'], {}, 'both dev'],
    [['dev', 'prod'], {}, '<to> "prod" is not an environment'],
    [[], { to: 'staging' }, '--to staging needs --digest'],
    [['dev', 'staging'], { to: 'staging' }, 'give the target once'],
    [[], { undo: 'staging', digest: A }, '--undo <env> stands alone'],
    [[], { to: 'staging', digest: 'latest' }, '--digest "latest" is not a digest'],
    [[], { to: 'staging', digest: 'abc' }, 'is not a digest'],
    [[], { to: 'staging', digest: A, 'skip-staging': true }, '--skip-staging only applies'],
  ]
  for (const [args, flags, message] of bad) {
    const e = refusal(() => parseRequest(args, flags))
    assert.is(e.exitCode, 2, message)
    assert.match(e.message, message)
  }
})

test('order: one step up the ladder; skipping staging needs --skip-staging (exit 4, named); down the ladder is a rollback', () => {
  const all = ['dev', 'staging', 'production'] as const
  checkOrder('dev', 'staging', all, false)
  checkOrder('staging', 'production', all, false)
  checkOrder('dev', 'production', all, true)
  let e = refusal(() => checkOrder('dev', 'production', all, false))
  assert.is(e.exitCode, 4)
  assert.match(e.message, 'dev -> production skips staging')
  assert.match(e.hint!, '--skip-staging')
  e = refusal(() => checkOrder('production', 'staging', all, false))
  assert.is(e.exitCode, 4)
  assert.match(e.hint!, '--to staging --digest')
  // without staging in ENVIRONMENTS, dev -> production is the next step
  checkOrder('dev', 'production', ['dev', 'production'], false)
})

const ks = (env: string, digest?: string, ready = true, source = `apps-${env}`) => ({
  kind: 'Kustomization', metadata: { name: `apps-${env}`, namespace: 'flux-system' }, spec: { sourceRef: { kind: 'OCIRepository', name: source } },
  status: { ...(digest ? { lastAppliedRevision: `${env}@${digest}` } : {}), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', message: ready ? 'Applied' : 'health check failed' }] },
})

function observed(running: Record<string, string | undefined>, tags: Record<string, string>, environments = ['dev', 'staging', 'production'] as const): Observed {
  const items = Object.entries(running).map(([env, d]) => ks(env, d))
  return { environments: [...environments], running: runningByEnv(items, [...environments]), tags: new Map(Object.entries(tags)), history: [] }
}

test('plan: promote moves what the source RUNS; --digest must be that digest (exit 4); the target current digest is the diff base', () => {
  const o = observed({ dev: B, staging: A, production: A }, { dev: B, staging: A, production: A, 'dev-previous': A })
  const p = planPromotion({ kind: 'promote', from: 'dev', to: 'staging', skipStaging: false }, o)
  assert.equal({ digest: p.digest, current: p.current, tagged: p.tagged, gate: p.gate, noop: p.noop }, { digest: B, current: A, tagged: A, gate: 'dev', noop: undefined })
  // --digest asserting what dev runs (a prefix is enough)
  assert.is(planPromotion({ kind: 'promote', from: 'dev', to: 'staging', skipStaging: false, digest: { prefix: 'bbbbbbb', text: 'bbbbbbb' } }, o).digest, B)
  const e = refusal(() => planPromotion({ kind: 'promote', from: 'dev', to: 'staging', skipStaging: false, digest: { full: A, prefix: 'a'.repeat(64), text: A } }, o))
  assert.is(e.exitCode, 4)
  assert.match(e.message, `dev runs ${shortDigest(B)}, not ${shortDigest(A)}`)
  // a tag sync moved but dev did not apply yet: what dev runs is promoted, and said so
  const lagging = observed({ dev: A, staging: C, production: C }, { dev: B, staging: C, production: C })
  const q = planPromotion({ kind: 'promote', from: 'dev', to: 'staging', skipStaging: false }, lagging)
  assert.is(q.digest, A)
  assert.match(q.notes.join('\n'), `dev's tag already names ${shortDigest(B)} (not applied yet)`)
  // nothing to do
  assert.match(planPromotion({ kind: 'promote', from: 'dev', to: 'staging', skipStaging: false }, observed({ dev: A, staging: A }, { dev: A, staging: A })).noop!, 'staging already runs')
})

test('plan: refusals name what is missing; rollback and undo have no gate', () => {
  let e = refusal(() => planPromotion({ kind: 'promote', from: 'dev', to: 'staging', skipStaging: false }, observed({ dev: undefined, staging: A }, {})))
  assert.is(e.exitCode, 4)
  assert.match(e.message, 'dev has not applied an apps artifact yet (apps-dev: Applied)')
  e = refusal(() => planPromotion({ kind: 'promote', from: 'dev', to: 'staging', skipStaging: false }, observed({ dev: A }, {})))
  assert.match(e.message, 'Kustomization flux-system/apps-staging does not exist')
  e = refusal(() => planPromotion({ kind: 'promote', from: 'dev', to: 'staging', skipStaging: false }, observed({ dev: A, production: A }, {}, ['dev', 'production'] as never)))
  assert.is(e.exitCode, 2)
  assert.match(e.message, 'staging is not in ENVIRONMENTS (dev,production)')
  // a platform an older up built: every environment reads the shared `platform` artifact
  const old = [ks('dev', A, true, 'platform'), ks('staging', A, true, 'platform')]
  e = refusal(() => planPromotion({ kind: 'promote', from: 'dev', to: 'staging', skipStaging: false }, { environments: ['dev', 'staging'], running: runningByEnv(old, ['dev', 'staging']), tags: new Map(), history: [] }))
  assert.is(e.exitCode, 4)
  assert.match(e.message, 'does not read its own apps source')
  assert.match(e.hint!, 'npx zx scripts/up.mts')
  assert.equal(artifactRows(old, ['dev', 'staging']).map((r) => r.short), ['', ''], 'status shows no apps digest for them')
  e = refusal(() => planPromotion({ kind: 'undo', to: 'staging' }, observed({ dev: A, staging: A }, { staging: A })))
  assert.is(e.exitCode, 4)
  assert.match(e.message, 'the tag staging-previous does not exist')
  const o = observed({ dev: B, staging: A, production: B }, { dev: B, staging: A, production: B, 'production-previous': A })
  const undo = planPromotion({ kind: 'undo', to: 'production' }, o)
  assert.equal({ digest: undo.digest, current: undo.current, gate: undo.gate }, { digest: A, current: B, gate: undefined })
  const back = planPromotion({ kind: 'rollback', to: 'production', digest: { prefix: 'aaaaaaaa', text: 'aaaaaaaa' } }, o)
  assert.equal({ digest: back.digest, gate: back.gate }, { digest: A, gate: undefined })
  e = refusal(() => planPromotion({ kind: 'rollback', to: 'production', digest: { prefix: 'eeeeeee', text: 'eeeeeee' } }, o))
  assert.is(e.exitCode, 2)
  assert.match(e.message, 'no digest this registry or this machine')
})

test('digests: from revisions, short form, typed input, prefix resolution', () => {
  assert.is(digestOf(`dev@${A}`), A)
  assert.is(digestOf(`localhost:5001/apps@${B}`), B)
  assert.is(digestOf('main@sha1:abc'), undefined)
  assert.is(shortDigest(A), 'sha256:aaaaaaaaaaaa')
  assert.equal(parseDigestInput('SHA256:ABCDEF1'), { prefix: 'abcdef1' })
  assert.is(parseDigestInput('sha256:xyz'), undefined)
  assert.equal(resolveDigest({ prefix: 'aaaa' }, [A, B]), { ok: true, digest: A })
  assert.equal(resolveDigest({ prefix: 'c' }, [C, `sha256:c${'0'.repeat(63)}`]).ok, false)
})

test('diff: objects by kind/namespace/name, fields by path (containers by name), secrets never shown', () => {
  const dep = (image: string, replicas?: number) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'demo', namespace: 'demo-staging' }, spec: { ...(replicas ? { replicas } : {}), template: { spec: { containers: [{ name: 'demo', image }, { name: 'sidecar', image: 's:1' }] } } } })
  const secret = (v: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'demo-secret', namespace: 'demo-staging' }, stringData: { GREETING: v } })
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'demo', namespace: 'demo-staging' }, spec: { ports: [{ port: 80 }] } }
  const old = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old', namespace: 'demo-staging' }, data: { a: '1' } }
  const fresh = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new', namespace: 'demo-staging' }, data: { a: '1' } }
  const d = diffObjects([dep('demo:aaa'), secret('token-abc-123'), svc, old], [dep('demo:bbb', 2), secret('token-def-456'), svc, fresh])
  assert.equal([d.changed, d.added, d.removed, d.unchanged], [2, 1, 1, 1])
  const lines = renderDiff(d).join('\n')
  assert.match(lines, '~ Deployment demo-staging/demo')
  assert.match(lines, 'spec.template.spec.containers[demo].image: "demo:aaa" → "demo:bbb"')
  assert.match(lines, 'spec.replicas: (none) → 2')
  assert.match(lines, '+ ConfigMap demo-staging/new')
  assert.match(lines, '- ConfigMap demo-staging/old')
  assert.match(lines, 'stringData.GREETING: (secret value changed, not shown)')
  assert.not.match(lines, 'token-')
  assert.not.match(JSON.stringify(d), 'token-')
  assert.match(lines, '2 changed, 1 added, 1 removed, 1 unchanged')
  assert.match(renderDiff(diffObjects([svc], [svc])).join('\n'), 'no object changes')
})

test('the apps artifact pins the demo image in every overlay (comments kept); the platform artifact has no apps', () => {
  const image = { name: 'demo', newName: 'kind-registry:5000/demo', newTag: '123456789012' }
  const src = fs.readFileSync(path.join(REPO, 'apps/overlays/staging/kustomization.yaml'), 'utf8')
  const pinned = pinImage(src, image)
  assert.equal((YAML.parse(pinned) as any).images, [image], 'an all-digit tag stays a string')
  assert.match(pinned, '# staging:')
  assert.is(pinImage(pinned, image), pinned)
  assert.equal((YAML.parse(pinImage('resources: [a]\n', image)) as any).images, [image])
  const d1 = tempDir('apps-artifact-')
  const d2 = tempDir('platform-artifact-')
  try {
    const apps = stageArtifact(REPO, d1, APPS_PATHS, appsTransform(image))
    assert.ok(Object.keys(apps.files).every((f) => f.startsWith('apps/base/') || f.startsWith('apps/overlays/')))
    for (const env of ['dev', 'staging', 'production']) {
      assert.equal((YAML.parse(fs.readFileSync(path.join(d1, `apps/overlays/${env}/kustomization.yaml`), 'utf8')) as any).images, [image], env)
    }
    assert.not.equal(stageArtifact(REPO, d1, APPS_PATHS, appsTransform({ ...image, newTag: 'other' })).hash, apps.hash, 'the image is part of the content')
    const platform = stageArtifact(REPO, d2, PLATFORM_PATHS)
    assert.ok(Object.keys(platform.files).includes('bootstrap/apps-repositories.yaml'))
    assert.not.ok(Object.keys(platform.files).some((f) => f.startsWith('apps/')))
  } finally {
    removeDir(d1)
    removeDir(d2)
  }
})

test('status rows: the digest each environment runs, behind dev when it differs', () => {
  const rows = artifactRows([ks('dev', B), ks('staging', B), ks('production', A)], ['dev', 'staging', 'production'])
  assert.equal(rows.map((r) => [r.env, r.short, r.behind]), [['dev', 'sha256:bbbbbbbbbbbb', undefined], ['staging', 'sha256:bbbbbbbbbbbb', undefined], ['production', 'sha256:aaaaaaaaaaaa', 'dev']])
  assert.equal(artifactRows([], ['dev']).map((r) => r.short), [''])
})

test('flux list artifacts: the table flux prints (tab padded, empty cells) into tag/digest rows', () => {
  const out = [
    'ARTIFACT                     \tDIGEST                                                                 \tSOURCE                 \tREVISION',
    `localhost:5001/apps:staging  \t${A}\tfile:///repo          \tmain@sha256:1`,
    `localhost:5001/apps:dev      \t${B}\t                       \t`,
  ].join('\n')
  assert.equal(parseArtifactList(out).map((r) => [r.tag, r.digest, r.source]), [['staging', A, 'file:///repo'], ['dev', B, '']])
})

test('up/sync fetch the apps sources whose tag moved, unless the bootstrap just created them', () => {
  const apps = { pushed: true, entry: 'dev' as const, seeded: ['staging' as const] }
  // a fresh platform: Flux installed, every source new
  assert.equal(sourcesToFetch({ installed: true, bootstrapApplied: true, platformPushed: true, apps, existingSources: [] }), ['platform'])
  // a sync with a new image: only dev moved
  assert.equal(sourcesToFetch({ installed: false, bootstrapApplied: false, platformPushed: false, apps: { pushed: true, entry: 'dev', seeded: [] }, existingSources: ['platform', 'apps-dev', 'apps-staging'] }), ['apps-dev'])
  assert.equal(sourcesToFetch({ installed: false, bootstrapApplied: false, platformPushed: false, apps: { pushed: false, entry: 'dev', seeded: [] }, existingSources: ['platform', 'apps-dev'] }), [])
})

test.run()
