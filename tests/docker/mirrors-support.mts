// Shared by the Docker-tier tests of the pull-through caches (mirrors*.test.mts): looking at containers, an
// upstream registry holding a pushed image, pulls over the registry API with every digest checked, the caches'
// own counters and storage.
import crypto from 'node:crypto'
import * as assert from 'uvu/assert'
import { commandLines } from '../helpers/fakes.mts'
import type { World } from './tier.mts'

export interface Inspect {
  Id: string
  Config: { Image: string; Labels: Record<string, string>; Env: string[] }
  State: { Running: boolean }
  HostConfig: { RestartPolicy: { Name: string }; PortBindings: Record<string, { HostIp: string; HostPort: string }[]> }
  NetworkSettings: { IPAddress: string; Networks: Record<string, unknown> }
  Mounts: { Type: string; Name: string; Destination: string }[]
}

export function inspect(w: World, name: string): Inspect | undefined {
  const r = w.docker(['inspect', '--type', 'container', name])
  return r.status === 0 ? (JSON.parse(r.stdout) as Inspect[])[0] : undefined
}

/** The 127.0.0.1 port docker picked for a container's 5000/tcp. */
export function hostPort(w: World, name: string): number {
  const r = w.docker(['port', name, '5000/tcp'])
  const m = /127\.0\.0\.1:(\d+)/.exec(r.stdout)
  if (!m) throw new Error(`docker port ${name}: ${r.stdout}${r.stderr}`)
  return Number(m[1])
}

/** Poll (bounded) until `check` holds: a condition, never a fixed sleep. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000}s`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/**
 * Wait until a pull-through cache holds what it served. distribution stores a blob it proxied by fetching it once
 * more from its upstream in the background (proxyblobstore.go storeLocal) and does not retry a fetch that failed
 * there until the blob is pulled again: what is still missing is pulled again every few polls, as a user's next
 * pull would. The bound is a safety net, generous because a loaded machine (two suites at once) is slow, not wrong.
 */
export async function untilCached(what: string, missing: () => string[], pullAgain: (item: string) => Promise<unknown>, timeoutMs = 180_000): Promise<void> {
  let polls = 0
  await eventually(what, async () => {
    const left = missing()
    if (left.length && ++polls % 10 === 0) for (const item of left) await pullAgain(item)
    return left.length === 0
  }, timeoutMs)
}

export const answers = async (port: number) => { try { return (await fetch(`http://127.0.0.1:${port}/v2/`)).status === 200 } catch { return false } }

export const ACCEPT = ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.index.v1+json'].join(', ')

export interface Pulled { manifestDigest: string; blobs: string[] }

/** What a node's containerd does for a pull, over plain HTTP: the manifest by tag, then every blob, each digest checked. */
export async function pull(port: number, repo: string, tag: string): Promise<Pulled> {
  const base = `http://127.0.0.1:${port}/v2/${repo}`
  const m = await fetch(`${base}/manifests/${tag}`, { headers: { accept: ACCEPT } })
  const body = Buffer.from(await m.arrayBuffer())
  if (m.status !== 200) throw new Error(`GET ${base}/manifests/${tag}: ${m.status} ${body.toString()}`)
  const manifest = JSON.parse(body.toString()) as { config: { digest: string }; layers: { digest: string }[] }
  const blobs = [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]
  for (const d of blobs) {
    const b = await fetch(`${base}/blobs/${d}`)
    const bytes = Buffer.from(await b.arrayBuffer())
    if (b.status !== 200) throw new Error(`GET ${base}/blobs/${d}: ${b.status}`)
    assert.is(`sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`, d, `blob ${d} arrives intact`)
  }
  return { manifestDigest: `sha256:${crypto.createHash('sha256').update(body).digest('hex')}`, blobs }
}

export interface Counters { Requests: number; Hits: number; Misses: number }
/** The cache's own proxy counters (expvar on its debug address, inside the container). */
export function counters(w: World, cache: string): { blobs: Counters; manifests: Counters } {
  const r = w.docker(['exec', cache, 'wget', '-qO-', 'http://127.0.0.1:5001/debug/vars'])
  assert.is(r.status, 0, r.stderr)
  return (JSON.parse(r.stdout) as { registry: { proxy: { blobs: Counters; manifests: Counters } } }).registry.proxy
}

export const stored = (w: World, cache: string, digest: string) =>
  w.docker(['exec', cache, 'test', '-f', `/var/lib/registry/docker/registry/v2/blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}/data`]).status === 0

// a throwaway `docker run --rm` only reads (the --offline check); everything else that runs, starts or removes changes
export const mutatingDocker = (w: World) => commandLines(w.calls('docker')).filter((l) => (/^docker (run|start|stop|rm|volume rm|network (connect|create|rm))\b/.test(l) && !/^docker run --rm /.test(l)) || /^docker exec -i /.test(l) || /^docker exec \S+ rm /.test(l))

/** An upstream registry (empty until pushTiny) and the env that makes up's docker.io cache fetch from it. */
export function upstreamWithImage(w: World): { name: string; env: NodeJS.ProcessEnv; port: number } {
  const name = w.run('upstream', ['-p', '127.0.0.1::5000', w.standIns.registry.tag])
  const port = hostPort(w, name)
  const ip = inspect(w, name)!.NetworkSettings.IPAddress
  return { name, port, env: { REGISTRY_MIRRORS: `docker.io=http://${ip}:5000` } }
}

/** Push the stand-in image `tag` into the upstream as `library/tiny:1`, once it answers; returns the pushed ref. */
export async function pushTiny(w: World, up: { port: number }, tag: string): Promise<string> {
  await eventually('the upstream registry answers', () => answers(up.port))
  const pushed = `127.0.0.1:${up.port}/library/tiny:1`
  w.trackImage(pushed)
  const t = w.docker(['tag', tag, pushed])
  if (t.status !== 0) throw new Error(`docker tag ${tag} ${pushed}: ${t.stderr}`)
  const p = w.docker(['push', pushed])
  if (p.status !== 0) throw new Error(`docker push ${pushed}: ${p.stderr}`)
  return pushed
}

/** Every file in a cache's storage (one exec, however many images are checked). */
export function storedFiles(w: World, cache: string): Set<string> {
  const r = w.docker(['exec', cache, 'find', '/var/lib/registry/docker/registry/v2', '-type', 'f'])
  return new Set(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean))
}

/**
 * The image at <from> also under <to> in the same registry, through the registry API (what `docker push` of a
 * re-tag does, without the CLI): each blob mounted across repositories, then the manifest put.
 */
export async function copyImage(port: number, from: { repo: string; tag: string }, to: { repo: string; tag: string }): Promise<void> {
  const base = `http://127.0.0.1:${port}/v2`
  const m = await fetch(`${base}/${from.repo}/manifests/${from.tag}`, { headers: { accept: ACCEPT } })
  const body = Buffer.from(await m.arrayBuffer())
  if (m.status !== 200) throw new Error(`GET manifest ${from.repo}:${from.tag}: ${m.status}`)
  const manifest = JSON.parse(body.toString()) as { config: { digest: string }; layers: { digest: string }[] }
  for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    const r = await fetch(`${base}/${to.repo}/blobs/uploads/?mount=${d}&from=${from.repo}`, { method: 'POST' })
    await r.arrayBuffer()
    if (r.status !== 201) throw new Error(`mount ${d} into ${to.repo}: ${r.status}`)
  }
  const put = await fetch(`${base}/${to.repo}/manifests/${to.tag}`, { method: 'PUT', headers: { 'content-type': m.headers.get('content-type') ?? 'application/vnd.docker.distribution.manifest.v2+json' }, body })
  await put.arrayBuffer()
  if (put.status !== 201) throw new Error(`PUT manifest ${to.repo}:${to.tag}: ${put.status}`)
}
