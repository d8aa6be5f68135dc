// Fake docker, image half (up's demo image): build, push, manifest inspect, image inspect. Images live in
// state.docker.images[ref]; what was pushed lives in state.docker.registryContent['<host>:<port>/<repo>:<tag>'].
// A push or manifest lookup needs a running container publishing container port 5000 on that host port (the
// cluster layer's registry container), like the real daemon talking to the real registry.
import crypto from 'node:crypto'

const err = (stderr, code = 1, stdout = '') => ({ code, stdout, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` })
const ok = (stdout = '', stderr = '') => ({ code: 0, stdout, stderr })
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex')

function images(state) {
  state.docker ??= { daemon: true }
  state.docker.images ??= {}
  state.docker.registryContent ??= {}
  return state.docker
}

/** "localhost:5001/demo:tag" -> { host, port, repo, tag } */
function parseRef(ref) {
  const m = /^([^/]+?)(?::(\d+))?\/(.+?)(?::([\w][\w.-]{0,127}))?$/.exec(ref)
  if (!m) return undefined
  return { host: m[1], port: m[2], repo: m[3], tag: m[4] ?? 'latest' }
}

/** Is a registry container publishing 5000/tcp on this host port? */
function registryUp(state, port) {
  const containers = Object.values(state.docker?.containers ?? {})
  return containers.some((c) => c.State?.Running && (c.HostConfig?.PortBindings?.['5000/tcp'] ?? []).some((b) => String(b.HostPort) === String(port)))
}

function build({ argv, state }) {
  const d = images(state)
  let tag
  let file = 'Dockerfile'
  const labels = {}
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]
    if (a === '-t' || a === '--tag') tag = argv[++i]
    else if (a === '-f' || a === '--file') file = argv[++i]
    else if (a === '--label') { const [k, v] = argv[++i].split('='); labels[k] = v }
  }
  const id = `sha256:${sha(`${tag}${JSON.stringify(labels)}${Date.now()}`)}`
  if (tag) d.images[tag] = { Id: id, RepoTags: [tag], Config: { Labels: labels } }
  const stderr = [
    '#0 building with "default" instance using docker driver',
    '',
    `#1 [internal] load build definition from ${file.split('/').at(-1)}`,
    '#1 DONE 0.0s',
    '#12 exporting to image',
    `#12 writing image ${id} done`,
    tag ? `#12 naming to docker.io/library/${tag} done` : '',
    '#12 DONE 0.1s',
  ].filter((l) => l !== '').join('\n')
  return ok('', `${stderr}\n`)
}

function push({ argv, state }) {
  const d = images(state)
  const ref = argv[1]
  const img = d.images[ref]
  if (!img) return err(`An image does not exist locally with the tag: ${ref.replace(/:[^:/]+$/, '')}`)
  const p = parseRef(ref)
  if (p?.port && !registryUp(state, p.port)) {
    return err(`Get "http://${p.host}:${p.port}/v2/": dial tcp 127.0.0.1:${p.port}: connect: connection refused`)
  }
  const digest = `sha256:${sha(img.Id)}`
  d.registryContent[ref] = { digest, pushedAt: new Date().toISOString() }
  return ok(`The push refers to repository [${ref.replace(/:[^:/]+$/, '')}]\n5f70bf18a086: Pushed\n${p?.tag}: digest: ${digest} size: 1573\n`)
}

function manifest({ argv, state }) {
  const d = images(state)
  if (argv[1] !== 'inspect') return undefined
  const ref = argv.slice(2).find((a) => !a.startsWith('-'))
  const p = parseRef(ref ?? '')
  if (p?.port && !registryUp(state, p.port)) return err(`Get "https://${p.host}:${p.port}/v2/": http: server gave HTTP response to HTTPS client`)
  const found = d.registryContent[ref]
  if (!found) return err(`no such manifest: ${ref}`)
  return ok(`${JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: found.digest, size: 1573 }, layers: [] }, null, 3)}\n`)
}

function image({ argv, state }) {
  const d = images(state)
  if (argv[1] !== 'inspect') return undefined
  const refs = argv.slice(2).filter((a) => !a.startsWith('-'))
  const found = refs.map((r) => d.images[r]).filter(Boolean)
  if (found.length < refs.length) return err(`Error response from daemon: No such image: ${refs.find((r) => !d.images[r])}`, 1, '[]\n')
  return ok(`${JSON.stringify(found, null, 4)}\n`)
}

export const HANDLERS = { build, push, manifest, image }

export default async function dockerImage({ argv, state }) {
  const h = HANDLERS[argv[0]]
  return h ? h({ argv, state }) : undefined
}
