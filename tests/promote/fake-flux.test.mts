// The fake flux learned the artifact verbs promotion uses, with the real CLI's argv and output
// (flux2 cmd/flux/{tag,pull,list}_artifact.go, fluxcd/pkg oci/client): a tag moves to a digest, an old digest stays
// pullable after its tag moved, a repository never pushed is NAME_UNKNOWN; and the simulated source-controller
// honours each OCIRepository's ref.tag / ref.digest. The adapter parses exactly what the fake prints.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fakeEnv } from '../helpers/fakes.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'
import { registryContainer } from '../up/world.mts'
import { parseArtifactList } from '../../scripts/lib/tools/flux.mts'

const CTX = 'kind-platform'
const flux = (env: NodeJS.ProcessEnv, args: string[]) => spawnSync('flux', args, { env, encoding: 'utf8' })

function content(dir: string, text: string): string {
  fs.mkdirSync(path.join(dir, 'apps', 'overlays', 'dev'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'apps', 'overlays', 'dev', 'kustomization.yaml'), `resources: [cm.yaml]\n`)
  fs.writeFileSync(path.join(dir, 'apps', 'overlays', 'dev', 'cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {v: "${text}"}\n`)
  return dir
}

test('push, list, tag by digest, pull by digest: argv and output of the real CLI', () => {
  const f = fakeEnv({ docker: { containers: { 'kind-registry': registryContainer() } } })
  const one = content(tempDir('art-'), 'one')
  const two = content(tempDir('art-'), 'two')
  const out = tempDir('pulled-')
  try {
    let r = flux(f.env, ['list', 'artifacts', 'oci://localhost:5001/apps'])
    assert.is(r.status, 1)
    assert.is(r.stderr, '✗ listing tags failed: GET http://localhost:5001/v2/apps/tags/list?n=1000: NAME_UNKNOWN: repository name not known to registry; map[name:apps]\n')
    r = flux(f.env, ['push', 'artifact', 'oci://localhost:5001/apps:dev', `--path=${one}`, '--source=file:///repo', '--revision=main@sha256:1'])
    const first = /@(sha256:[0-9a-f]{64})/.exec(r.stderr)![1]!
    r = flux(f.env, ['tag', 'artifact', `oci://localhost:5001/apps@${first}`, '--tag', 'staging', '--tag', 'production'])
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stderr, '► tagging artifact\n✔ artifact tagged as localhost:5001/apps:staging\n✔ artifact tagged as localhost:5001/apps:production\n')
    r = flux(f.env, ['push', 'artifact', 'oci://localhost:5001/apps:dev', `--path=${two}`, '--source=file:///repo', '--revision=main@sha256:2'])
    const second = /@(sha256:[0-9a-f]{64})/.exec(r.stderr)![1]!
    assert.not.equal(first, second)
    r = flux(f.env, ['list', 'artifacts', 'oci://localhost:5001/apps'])
    assert.is(r.status, 0, r.stderr)
    assert.match(r.stdout, /^ARTIFACT\s+\tDIGEST\s+\tSOURCE\s+\tREVISION/)
    assert.equal(parseArtifactList(r.stdout).map((a) => [a.tag, a.digest, a.revision]), [['staging', first, 'main@sha256:1'], ['production', first, 'main@sha256:1'], ['dev', second, 'main@sha256:2']])
    // the first digest has no dev tag any more, and stays pullable by digest
    r = flux(f.env, ['pull', 'artifact', `oci://localhost:5001/apps@${first}`, `--output=${out}`])
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stderr, `► pulling artifact from localhost:5001/apps@${first}\n✔ source file:///repo\n✔ revision main@sha256:1\n✔ digest localhost:5001/apps@${first}\n✔ artifact content extracted to ${out}\n`)
    assert.match(fs.readFileSync(path.join(out, 'apps/overlays/dev/cm.yaml'), 'utf8'), 'v: "one"')
    // errors as the real CLI words them
    r = flux(f.env, ['pull', 'artifact', `oci://localhost:5001/apps@sha256:${'0'.repeat(64)}`, `--output=${out}`])
    assert.is(r.status, 1)
    assert.match(r.stderr, `MANIFEST_UNKNOWN: manifest unknown; map[Digest:sha256:${'0'.repeat(64)}]`)
    r = flux(f.env, ['pull', 'artifact', 'oci://localhost:5001/apps:dev', '--output=/nonexistent/x'])
    assert.match(r.stderr, '✗ invalid output path "/nonexistent/x"')
    r = flux(f.env, ['tag', 'artifact', 'oci://localhost:5001/apps:dev'])
    assert.is(r.stderr, '✗ --tag is required\n')
  } finally {
    f.cleanup()
    for (const d of [one, two, out]) removeDir(d)
  }
})

test('the simulated source-controller resolves each OCIRepository at its own tag, or at ref.digest', () => {
  const f = fakeEnv({
    docker: { containers: { 'kind-registry': registryContainer() } },
    kube: { currentContext: CTX, contexts: { [CTX]: { server: '127.0.0.1:6443' } }, objects: { [CTX]: [] } },
  })
  const one = content(tempDir('art-'), 'one')
  const two = content(tempDir('art-'), 'two')
  try {
    const digestOf = (r: ReturnType<typeof flux>) => /@(sha256:[0-9a-f]{64})/.exec(r.stderr)![1]!
    const first = digestOf(flux(f.env, ['push', 'artifact', 'oci://localhost:5001/apps:staging', `--path=${one}`, '--source=s', '--revision=r1']))
    const second = digestOf(flux(f.env, ['push', 'artifact', 'oci://localhost:5001/apps:dev', `--path=${two}`, '--source=s', '--revision=r2']))
    const src = (name: string, ref: Record<string, string>) => ({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name, namespace: 'flux-system' }, spec: { url: 'oci://kind-registry:5000/apps', ref } })
    f.setState((s) => { s.kube.objects[CTX].push(src('apps-dev', { tag: 'dev' }), src('apps-staging', { tag: 'staging' }), src('pinned', { digest: first, tag: 'dev' })) })
    const r = flux(f.env, ['reconcile', 'source', 'oci', 'apps-dev', '--namespace', 'flux-system', '--context', CTX])
    assert.is(r.status, 0, r.stderr)
    assert.match(r.stderr, `✔ fetched revision dev@${second}`)
    const rev = (name: string) => f.state().kube.objects[CTX].find((o: any) => o.metadata.name === name).status.artifact.revision
    assert.equal([rev('apps-dev'), rev('apps-staging'), rev('pinned')], [`dev@${second}`, `staging@${first}`, first])
  } finally {
    f.cleanup()
    for (const d of [one, two]) removeDir(d)
  }
})

test.run()
