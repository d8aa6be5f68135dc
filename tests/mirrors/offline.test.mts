// up --offline on the fake CLIs: a gap stops it before any change, naming each missing image; with everything
// cached the caches are re-created to serve without their upstreams.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
// @ts-expect-error plain JS fake
import { cacheFiles } from '../fakes/tools/docker-mirrors.mjs'
import { isMutating, world } from '../cluster/support.mts'
import { cache, HOSTS, LAYER } from './support.mts'

test('--offline: with a gap it stops before any change, naming each missing image; with everything cached the caches serve without upstreams', async () => {
  const w = await world()
  try {
    assert.is((await runScript('up', LAYER, { env: w.env })).code, 0)
    w.clearCalls()
    const gap = await runScript('up', [...LAYER, '--offline'], { env: w.env })
    assert.is(gap.code, 4, gap.stderr)
    assert.match(gap.stderr, /✖ offline: the caches do not hold everything the platform pulls \(0 of \d+ images cached\)/)
    assert.match(gap.stderr, 'quay.io/jetstack/cert-manager-webhook:v1.21.1 (chart cert-manager v1.21.1): not in the quay.io cache')
    assert.match(gap.stderr, 'nothing was created or changed')
    assert.equal(commandLines(w.calls().filter(isMutating)).filter((l) => !l.startsWith('docker run --rm ')), [], 'nothing changed')
    const refs = [...gap.stderr.matchAll(/^\s+(\S+) \([^)]*\): not in the (\S+) cache( —|$)/gm)].map((m) => ({ ref: m[1]!, host: m[2]! }))
    assert.ok(refs.length >= 15, gap.stderr)

    // the caches hold all of it (one missing first: named alone)
    const seed = (skip?: string) => w.setState((s) => {
      for (const h of HOSTS) {
        const held = refs.filter((r) => r.host === h && r.ref !== skip).map((r) => {
          const i = r.ref.indexOf('/')
          let repo = r.ref.slice(i + 1)
          let tag = 'any'
          const c = repo.lastIndexOf(':')
          if (c !== -1) { tag = repo.slice(c + 1); repo = repo.slice(0, c) }
          return `${repo}:${tag}`
        })
        s.docker.containers[cache(h)].files = cacheFiles(held)
      }
    })
    seed('registry.k8s.io/e2e-test-images/agnhost:2.53')
    const one = await runScript('up', [...LAYER, '--offline'], { env: w.env })
    assert.is(one.code, 4, one.stderr)
    assert.match(one.stderr, `(${refs.length - 1} of ${refs.length} images cached):\n  registry.k8s.io/e2e-test-images/agnhost:2.53 (netpol probes): not in the registry.k8s.io cache — run up once online`)
    seed()
    const ok = await runScript('up', [...LAYER, '--offline'], { env: w.env })
    assert.is(ok.code, 0, ok.stderr)
    assert.match(ok.stderr, `offline: all ${refs.length} images the platform pulls are in the caches`)
    assert.match(ok.stderr, `re-creating cache ${cache('docker.io')} (--offline: serve what it holds without its upstream)`)
    for (const h of HOSTS) assert.not.ok(w.state().docker.containers[cache(h)].Config.Env.some((e: string) => e.startsWith('REGISTRY_PROXY_REMOTEURL')))
  } finally {
    w.cleanup()
  }
})

test.run()
