// Images on a real engine and a real registry: a fixture built FROM an imported base image and the demo app built
// by up's image phase (apps/demo/Dockerfile FROM the Node stand-in, tagged as the Dockerfile's NODE_IMAGE), each
// pushed into the registry up created, its digest read back from the registry API and from the engine.
import path from 'node:path'
import * as assert from 'uvu/assert'
import { DEMO_IMAGE, imageContentHash } from '../../scripts/lib/image/hash.mts'
import { listenerPort as freePort } from '../fakes/tools/listener-port.mjs'
import { REPO } from '../helpers/fakes.mts'
import { docker } from './engine.mts'
import { dockerTier, type World } from './tier.mts'

const tier = dockerTier('img')
const MANIFEST_TYPES = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'

/** The digest the registry serves for repo:tag (HEAD /v2/<repo>/manifests/<tag>, Docker-Content-Digest). */
async function registryDigest(port: number, repo: string, tag: string): Promise<string | null> {
  const res = await fetch(`http://127.0.0.1:${port}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: MANIFEST_TYPES } })
  return res.ok ? res.headers.get('docker-content-digest') : null
}

const repoDigests = (w: World, ref: string): string[] => JSON.parse(w.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref]).stdout || '[]') as string[]

/** Whether npm's registry answers from inside a container (apps/demo/Dockerfile runs `npm ci`). */
function npmFromContainers(): string | undefined {
  if (!tier.available) return undefined
  let image: string
  try { image = tier.standIn('node').tag } catch (e) { return `no Node stand-in: ${(e as Error).message}` }
  const probe = "fetch('https://registry.npmjs.org/prom-client',{signal:AbortSignal.timeout(20000)}).then((r)=>process.exit(r.ok?0:3),(e)=>{console.error(e.cause?.code??e.message);process.exit(4)})"
  const r = docker(['run', '--rm', image, 'node', '-e', probe], { timeoutMs: 60_000 })
  return r.status === 0 ? undefined : `the npm registry does not answer from a container (${(r.stderr || `exit ${r.status}`).trim()}), so apps/demo/Dockerfile's npm ci cannot run`
}

tier.test('a fixture FROM an imported base image is built, pushed into the real registry, and its digest read back', async () => {
  const w = await tier.world()
  const up = await w.up(['--only', 'ports,registry'])
  assert.is(up.code, 0, up.stderr)
  const base = tier.standIn('base').tag
  const ref = `localhost:${w.ports.registry}/${w.names.prefix}hello:1`
  w.trackImage(ref)
  const b = w.docker(['build', '--force-rm', '--build-arg', `BASE=${base}`, '-t', ref, path.join(import.meta.dirname, 'fixtures', 'hello')])
  assert.is(b.status, 0, b.stderr)
  const p = w.docker(['push', ref])
  assert.is(p.status, 0, p.stderr)
  const pushed = /digest: (sha256:[0-9a-f]{64})/.exec(p.stdout)?.[1]
  assert.ok(pushed, p.stdout)
  assert.is(await registryDigest(w.ports.registry, `${w.names.prefix}hello`, '1'), pushed)
  assert.ok(repoDigests(w, ref).includes(`localhost:${w.ports.registry}/${w.names.prefix}hello@${pushed}`), JSON.stringify(repoDigests(w, ref)))
  // what was pushed is what runs
  const run = w.docker(['run', '--rm', '--label', `dev.platform.test-run=${tier.runId}`, ref])
  assert.is(run.stdout, 'hello from the docker tier\n')
})

tier.test('up builds the demo app from apps/demo/Dockerfile and pushes it; the registry serves that digest; the image serves /healthz; a second up builds nothing', async () => {
  const w = await tier.world()
  const { tag } = imageContentHash({ context: REPO, ...DEMO_IMAGE })
  const ref = `localhost:${w.ports.registry}/demo:${tag}`
  w.trackImage(ref)
  const r = await w.up(['--only', 'ports,registry,image'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, `built and pushed demo:${tag}`)
  const digest = await registryDigest(w.ports.registry, 'demo', tag)
  assert.ok(digest?.startsWith('sha256:'))
  assert.ok(repoDigests(w, ref).includes(`localhost:${w.ports.registry}/demo@${digest}`))
  assert.is(w.docker(['image', 'inspect', '--format', '{{index .Config.Labels "dev.platform.source-hash"}}', ref]).stdout.trim().slice(0, 12), tag)

  const port = await freePort()
  const app = w.run('demo', ['-p', `127.0.0.1:${port}:8000`, ref])
  let status = 0
  for (let i = 0; i < 150 && status !== 200; i++) {
    status = await fetch(`http://127.0.0.1:${port}/healthz`).then((x) => x.status, () => 0)
    if (status !== 200) await new Promise((res) => setTimeout(res, 200))
  }
  assert.is(status, 200, w.docker(['logs', app]).stderr)

  w.clearCalls()
  const again = await w.up(['--only', 'ports,registry,image'])
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stderr, `demo:${tag} is already in the registry`)
  assert.not.ok(w.calls('docker').some((c) => c.argv[0] === 'build' || c.argv[0] === 'push'))
}, { unmet: npmFromContainers() })

tier.run()
