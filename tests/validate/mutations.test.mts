// The repository's GitOps directories, copied once to a temp dir and broken in one way at a time: validate must
// fail and name the file, the object and the field. Real `kubectl kustomize` builds, in-process validateRepo
// (the CLI itself is exercised in validate-cli.test.mts).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createRunner } from '../../scripts/lib/shell/run.mts'
import { kustomizeBuildWithOrigins } from '../../scripts/lib/tools/kubectl.mts'
import { GITOPS_DIRS } from '../../scripts/lib/validate/discover.mts'
import { problemLine } from '../../scripts/lib/validate/report.mts'
import { kustomizationRefs, readKustomization } from '../../scripts/lib/validate/kustomization-file.mts'
import { validateRepo, type BuildResult, type ValidateResult } from '../../scripts/lib/validate/run.mts'
import type { Problem } from '../../scripts/lib/validate/types.mts'
import { REPO } from '../helpers/fakes.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const copy = tempDir('validate-mut-')
for (const d of GITOPS_DIRS) {
  if (!fs.existsSync(path.join(REPO, d))) continue
  fs.cpSync(path.join(REPO, d), path.join(copy, d), { recursive: true, filter: (src) => !/(^|\/)(node_modules|\.[^/]+)$/.test(src) })
}
const runner = createRunner({})

// Each mutation touches one file; rebuilding only the kustomizations that read it keeps the suite fast.
// The key is the content of every file a kustomization reads (kustomization files, resources, patches,
// generator inputs, recursively through bases and components), so a changed input always means a real build.
function inputsOf(dir: string, seen = new Set<string>()): string[] {
  if (seen.has(dir)) return []
  seen.add(dir)
  const k = readKustomization(dir)
  if (!k) return []
  const files = [k.file]
  for (const ref of kustomizationRefs(k)) {
    if (!fs.existsSync(ref.abs)) files.push(ref.abs)
    else if (fs.statSync(ref.abs).isDirectory()) files.push(...inputsOf(ref.abs, seen))
    else files.push(ref.abs)
  }
  return files
}
const buildCache = new Map<string, BuildResult>()
async function cachedBuild(dir: string): Promise<BuildResult> {
  const h = crypto.createHash('sha256').update(dir)
  for (const f of inputsOf(dir)) h.update(`\0${f}\0`).update(fs.existsSync(f) ? fs.readFileSync(f) : 'missing')
  const key = h.digest('hex')
  const hit = buildCache.get(key)
  if (hit) return hit
  const res = await kustomizeBuildWithOrigins(runner, dir)
  buildCache.set(key, res)
  return res
}
/** every directory validate asked to build, in order */
let built: string[] = []
const validate = () => { built = []; return validateRepo({ root: copy, concurrency: 2, build: (dir) => { built.push(path.relative(copy, dir)); return cachedBuild(dir) } }) }

/** Apply `edit` to the copy for the duration of `fn`, then restore the original bytes. */
async function withEdit(rel: string, edit: (text: string) => string, fn: () => Promise<void>): Promise<void> {
  const file = path.join(copy, rel)
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, edit(before ?? ''))
  try { await fn() } finally {
    if (before === undefined) fs.rmSync(file)
    else fs.writeFileSync(file, before)
  }
}

/** Edit the YAML documents of a file (comments are lost; this is a throw-away copy). */
const editDocs = (change: (docs: any[]) => void) => (text: string) => {
  const docs = YAML.parseAllDocuments(text).map((d) => d.toJS())
  change(docs)
  return docs.map((d) => YAML.stringify(d)).join('---\n')
}

/** The file under apps/base that declares the demo Deployment (whatever the apps layout calls it). */
function deploymentFile(): string {
  const dir = path.join(copy, 'apps', 'base')
  for (const f of fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
    const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS())
    if (docs.some((d) => d?.kind === 'Deployment')) return `apps/base/${f}`
  }
  throw new Error('no Deployment in apps/base')
}
const editDeployment = (change: (d: any, c: any) => void) => editDocs((docs) => {
  const d = docs.find((x) => x?.kind === 'Deployment')
  change(d, d.spec.template.spec.containers[0])
})

const show = (r: ValidateResult) => r.problems.map(problemLine).join('\n')

function expectProblem(r: ValidateResult, want: { rule: string; file: string; field?: string | RegExp; kind?: string }): Problem {
  assert.ok(r.counts.errors > 0, `validate must fail:\n${show(r)}`)
  const hit = r.problems.find((p) => p.severity === 'error' && p.rule === want.rule && p.file === want.file &&
    (want.field === undefined || (typeof want.field === 'string' ? p.field === want.field : want.field.test(p.field ?? ''))) &&
    (want.kind === undefined || p.object?.kind === want.kind))
  assert.ok(hit, `expected ${want.rule} in ${want.file} at ${String(want.field)}, got:\n${show(r)}`)
  return hit!
}

test('the unmodified copy is valid (the baseline every mutation starts from)', async () => {
  const r = await validate()
  assert.is(r.counts.errors, 0, show(r))
  assert.ok(r.counts.builds >= 8 && r.counts.objects > 40, JSON.stringify(r.counts))
})

test('a base is built alone only when no kustomization that includes it has built', async () => {
  let r = await validate()
  assert.is(r.counts.errors, 0, show(r))
  assert.not.ok(built.includes('apps/base'), `the overlays build apps/base: ${built.join(', ')}`)
  assert.ok(built.includes('apps/overlays/dev') && r.counts.buildRuns! < r.counts.builds, JSON.stringify(r.counts))
  // a base whose build fails: its overlays fail with it, the base is then built alone and named (once)
  await withEdit('apps/base/kustomization.yaml', (t) => `${t}\npatches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: replace\n        path: /spec/no/such/field\n        value: 2\n`, async () => {
    r = await validate()
    assert.ok(built.includes('apps/base'), built.join(', '))
    const failures = r.problems.filter((p) => p.rule === 'kustomize/build')
    assert.equal(failures.map((p) => p.file), ['apps/base/kustomization.yaml'], show(r))
  })
})

test('schema results are kept by content: a second run validates no object again, an edited object afresh', async () => {
  const cacheDir = tempDir('validate-cache-')
  try {
    const run = () => validateRepo({ root: copy, concurrency: 2, build: cachedBuild, cacheDir })
    const first = await run()
    assert.is(first.schemaResults!.cached, 0)
    assert.ok(first.schemaResults!.validated > 40, JSON.stringify(first.schemaResults))
    assert.is(first.fieldGraph, 'typescript', 'an empty cache dir: the unknown-field graph is built')
    const second = await run()
    assert.equal(second.schemaResults, { cached: first.schemaResults!.validated, validated: 0 })
    assert.ok(fs.existsSync(path.join(cacheDir, 'validate-field-graph.json')), 'the graph is kept for the next process')
    assert.equal(second.problems, first.problems)
    const file = deploymentFile()
    await withEdit(file, editDeployment((d) => { d.spec.replicas = 'two' }), async () => {
      const third = await run()
      assert.ok(third.schemaResults!.validated >= 1, JSON.stringify(third.schemaResults))
      expectProblem(third, { rule: 'schema', file, field: 'spec.replicas', kind: 'Deployment' })
    })
  } finally {
    removeDir(cacheDir)
  }
})

test('a kustomization resource path that does not exist', async () => {
  await withEdit('infrastructure/configs/kustomization.yaml', editDocs(([k]) => { k.resources.push('missing.yaml') }), async () => {
    const r = await validate()
    const p = expectProblem(r, { rule: 'kustomize/path', file: 'infrastructure/configs/kustomization.yaml', field: /^resources\[\d+\]$/ })
    assert.match(p.message, /missing\.yaml: no such file/)
    assert.not.ok(r.problems.some((x) => x.rule === 'kustomize/build'), 'the build failure caused by the same path is not reported twice')
  })
})

test('an emptied manifest (apps/base/service.yaml with no content) is named, with the kustomization that lists it', async () => {
  for (const content of ['', '# nothing here any more\n']) {
    await withEdit('apps/base/service.yaml', () => content, async () => {
      const r = await validate()
      const p = expectProblem(r, { rule: 'yaml/empty', file: 'apps/base/service.yaml' })
      assert.match(p.message, 'holds no Kubernetes object')
      assert.match(p.message, 'apps/base/kustomization.yaml lists it')
    })
  }
})

test('a schema error: replicas: "two"', async () => {
  const file = deploymentFile()
  await withEdit(file, editDeployment((d) => { d.spec.replicas = 'two' }), async () => {
    const p = expectProblem(await validate(), { rule: 'schema', file, field: 'spec.replicas', kind: 'Deployment' })
    assert.match(p.message, /integer/)
  })
})

test('an unknown field (spce) and a nested typo', async () => {
  await withEdit('infrastructure/configs/gateway.yaml', editDocs(([gw]) => { gw.spce = gw.spec; gw.spec.listeners[0].hostnmae = 'x.localhost' }), async () => {
    const r = await validate()
    expectProblem(r, { rule: 'schema/unknown-field', file: 'infrastructure/configs/gateway.yaml', field: 'spce', kind: 'Gateway' })
    const p = expectProblem(r, { rule: 'schema/unknown-field', file: 'infrastructure/configs/gateway.yaml', field: 'spec.listeners[0].hostnmae' })
    assert.match(p.message, /did you mean "hostname"/)
  })
})

test('a container without liveness probe', async () => {
  const file = deploymentFile()
  await withEdit(file, editDeployment((_d, c) => { delete c.livenessProbe }), async () => {
    expectProblem(await validate(), { rule: 'policy/probes', file, field: 'spec.template.spec.containers[0].livenessProbe' })
  })
})

test('runAsNonRoot: false, and running as root', async () => {
  const file = deploymentFile()
  await withEdit(file, editDeployment((d, c) => {
    c.securityContext.runAsNonRoot = false
    d.spec.template.spec.securityContext = { ...d.spec.template.spec.securityContext, runAsUser: 0 }
    delete c.securityContext.runAsUser
  }), async () => {
    const r = await validate()
    expectProblem(r, { rule: 'pss/run-as-non-root', file, field: 'spec.template.spec.containers[0].securityContext.runAsNonRoot' })
    expectProblem(r, { rule: 'pss/run-as-user', file, field: 'spec.template.spec.securityContext.runAsUser' })
  })
})

test('an image on :latest (set by an overlay): the problem names the base file and the overlay that patched it', async () => {
  await withEdit('apps/overlays/dev/kustomization.yaml', editDocs(([k]) => { k.images[0].newTag = 'latest' }), async () => {
    const r = await validate()
    const p = expectProblem(r, { rule: 'policy/image-pinned', file: deploymentFile(), field: 'spec.template.spec.containers[0].image' })
    assert.is(p.object?.namespace, 'demo-dev')
    assert.ok(p.patchedBy?.includes('apps/overlays/dev/kustomization.yaml'), JSON.stringify(p))
    assert.is(r.problems.filter((x) => x.rule === 'policy/image-pinned').length, 1, 'staging and production still pin their tag')
  })
})

test('missing resource limits', async () => {
  const file = deploymentFile()
  await withEdit(file, editDeployment((_d, c) => { delete c.resources.limits }), async () => {
    expectProblem(await validate(), { rule: 'policy/resources', file, field: 'spec.template.spec.containers[0].resources.limits.memory' })
  })
})

test('a privileged container', async () => {
  const file = deploymentFile()
  await withEdit(file, editDeployment((_d, c) => { c.securityContext.privileged = true }), async () => {
    expectProblem(await validate(), { rule: 'pss/privileged', file, field: 'spec.template.spec.containers[0].securityContext.privileged' })
  })
})

test('a Flux dependsOn name that does not exist', async () => {
  await withEdit('bootstrap/sync/apps.yaml', editDocs((docs) => { docs[0].spec.dependsOn[0].name = 'infra-config' }), async () => {
    const p = expectProblem(await validate(), { rule: 'ref/flux-depends-on', file: 'bootstrap/sync/apps.yaml', field: 'spec.dependsOn[0].name', kind: 'Kustomization' })
    assert.match(p.message, /infra-config is not defined/)
  })
})

test('a Flux Kustomization path that does not exist', async () => {
  await withEdit('bootstrap/sync/infrastructure.yaml', editDocs((docs) => { docs[0].spec.path = './infrastructure/controller' }), async () => {
    const r = await validate()
    expectProblem(r, { rule: 'ref/flux-path', file: 'bootstrap/sync/infrastructure.yaml', field: 'spec.path' })
    assert.ok(r.problems.some((p) => p.rule === 'flux/unreferenced' && p.file === 'infrastructure/controllers/kustomization.yaml'), 'the orphaned directory is flagged too')
  })
})

test('a HelmRelease whose sourceRef names a repository that does not exist', async () => {
  await withEdit('infrastructure/controllers/traefik/release.yaml', editDocs(([hr]) => { hr.spec.chart.spec.sourceRef.name = 'traefik-charts' }), async () => {
    const p = expectProblem(await validate(), { rule: 'ref/helm-source', file: 'infrastructure/controllers/traefik/release.yaml', field: 'spec.chart.spec.sourceRef', kind: 'HelmRelease' })
    assert.match(p.message, /HelmRepository ingress\/traefik-charts/)
  })
})

test('a Flux interval that is not a duration', async () => {
  await withEdit('infrastructure/controllers/metrics-server/repository.yaml', editDocs(([repo]) => { repo.spec.interval = '12 hours' }), async () => {
    expectProblem(await validate(), { rule: 'flux/duration', file: 'infrastructure/controllers/metrics-server/repository.yaml', field: 'spec.interval', kind: 'HelmRepository' })
  })
})

test('a chart version range instead of a pinned version', async () => {
  await withEdit('infrastructure/controllers/kube-prometheus-stack/repository.yaml', editDocs(([repo]) => { delete repo.spec.ref.tag; repo.spec.ref.semver = '>=80.0.0' }), async () => {
    expectProblem(await validate(), { rule: 'flux/pinned-chart', file: 'infrastructure/controllers/kube-prometheus-stack/repository.yaml', field: 'spec.ref.semver', kind: 'OCIRepository' })
  })
})

test('a kind we have no schema for, and a kind config field kind would reject', async () => {
  await withEdit('infrastructure/configs/widget.yaml', () => 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: ingress\n', async () => {
    await withEdit('infrastructure/configs/kustomization.yaml', editDocs(([k]) => { k.resources.push('widget.yaml') }), async () => {
      await withEdit('cluster/kind.yaml', editDocs(([c]) => { c.nodes[0].extraPortMapings = c.nodes[0].extraPortMappings }), async () => {
        const r = await validate()
        expectProblem(r, { rule: 'schema/unknown-kind', file: 'infrastructure/configs/widget.yaml', kind: 'Widget' })
        expectProblem(r, { rule: 'kind/schema', file: 'cluster/kind.yaml', field: 'nodes[0].extraPortMapings' })
      })
    })
  })
})

test('plain manifests: applied (and checked) under a Flux path without kustomization.yaml, else skipped or warned', async () => {
  const extraKs = 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: extra\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  path: ./infrastructure/extra\n  sourceRef:\n    kind: OCIRepository\n    name: platform\n'
  await withEdit('bootstrap/sync/extra.yaml', () => extraKs, async () => {
    await withEdit('bootstrap/sync/kustomization.yaml', editDocs(([k]) => { k.resources.push('extra.yaml') }), async () => {
      await withEdit('infrastructure/extra/nested/cm.yaml', () => 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n  namespace: ingress\n', async () => {
        await withEdit('infrastructure/stray.yaml', () => 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n  namespace: ingress\n', async () => {
          await withEdit('apps/tool-config.yaml', () => 'apiVersion: netpol.platform.local/v1alpha1\nkind: NetpolAssertions\ncontext:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: p}\nassertions: []\n', async () => {
            const r = await validate()
            expectProblem(r, { rule: 'names/dns-1123', file: 'infrastructure/extra/nested/cm.yaml', field: 'metadata.name', kind: 'ConfigMap' })
            assert.ok(r.problems.some((p) => p.severity === 'warning' && p.rule === 'flux/unapplied' && p.file === 'infrastructure/stray.yaml'), show(r))
            assert.ok(r.skipped.some((x) => x.file === 'apps/tool-config.yaml' && /netpol\.platform\.local\/v1alpha1 NetpolAssertions/.test(x.reason)), JSON.stringify(r.skipped))
            assert.not.ok(r.problems.some((p) => p.file === 'apps/tool-config.yaml'), show(r))
          })
        })
      })
    })
  })
})

test('cert-manager kinds are known: a misspelt Certificate field, a wrong enum, an issuer without its Secret name', async () => {
  await withEdit('infrastructure/configs/certificates.yaml', editDocs((docs) => {
    docs[0].spec.dnsName = docs[0].spec.dnsNames
    delete docs[0].spec.dnsNames
    docs[1].spec.privateKey.algorithm = 'DSA'
  }), async () => {
    await withEdit('infrastructure/configs/cluster-issuer.yaml', editDocs(([issuer]) => { issuer.spec.ca = { secretNmae: issuer.spec.ca.secretName } }), async () => {
      const r = await validate()
      const typo = expectProblem(r, { rule: 'schema/unknown-field', file: 'infrastructure/configs/certificates.yaml', field: 'spec.dnsName', kind: 'Certificate' })
      assert.match(typo.message, /did you mean "dnsNames"/)
      const algo = expectProblem(r, { rule: 'schema', file: 'infrastructure/configs/certificates.yaml', field: 'spec.privateKey.algorithm', kind: 'Certificate' })
      assert.match(algo.message, /ECDSA/)
      expectProblem(r, { rule: 'schema', file: 'infrastructure/configs/cluster-issuer.yaml', field: 'spec.ca.secretName', kind: 'ClusterIssuer' })
      expectProblem(r, { rule: 'schema/unknown-field', file: 'infrastructure/configs/cluster-issuer.yaml', field: 'spec.ca.secretNmae', kind: 'ClusterIssuer' })
      assert.not.ok(r.problems.some((p) => p.rule === 'schema/unknown-kind'), show(r))
    })
  })
})

test.after(() => removeDir(copy))
test.run()
