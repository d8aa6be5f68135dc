// Stand-in images, built offline at test start and cached by content: `ptier/<role>:<hash>` is built only when no
// image of that content exists. The registry stand-in (Debian's docker-registry, a real distribution registry)
// also gets the exact tag cluster/versions.yaml pins, so `up` runs it unchanged; the Node stand-in gets the tag
// apps/demo/Dockerfile builds FROM. An existing image under such a tag that is not a stand-in of ours is used as
// it is and never removed or re-tagged.

import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import { docker, INPUTS } from './engine.mts'
import { busyboxEntries, libraryEntries, rootfsHash, writeTar, type Entry } from './rootfs.mts'
import { withLock } from './runs.mts'

export const REPO = path.resolve(import.meta.dirname, '..', '..')
export const STANDIN_LABEL = 'dev.platform.test-standin'
export const HASH_LABEL = 'dev.platform.test-standin-hash'
export const STANDIN_REPO = 'ptier'

export type Role = 'registry' | 'kind-node' | 'base' | 'node'

interface Spec { entries: Entry[]; config: string[]; pinned?: string }

/** The registry image cluster/versions.yaml pins (e.g. registry:3.0.0). */
export const pinnedRegistryImage = (): string => (YAML.parse(fs.readFileSync(path.join(REPO, 'cluster', 'versions.yaml'), 'utf8')) as { registry: { image: string } }).registry.image

/** The default of `ARG NODE_IMAGE=` in apps/demo/Dockerfile (e.g. node:24.21.0-alpine). */
export function pinnedNodeImage(): string {
  const m = /^ARG NODE_IMAGE=(\S+)/m.exec(fs.readFileSync(path.join(REPO, 'apps', 'demo', 'Dockerfile'), 'utf8'))
  if (!m) throw new Error('apps/demo/Dockerfile has no `ARG NODE_IMAGE=<default>` line')
  return m[1]!
}

// The distribution registry's own default configuration (as in the official image), storage in the volume.
const REGISTRY_CONFIG = `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`

// PID 1 of a kind-node stand-in: up until SIGTERM (docker stop), then a clean exit 0. A shell as PID 1 ignores
// SIGTERM unless it traps it; `wait` on a background sleep lets the trap run at once.
const NODE_INIT = `#!/bin/sh
trap 'echo "stand-in node $(hostname): stopping"; exit 0' TERM INT
echo "stand-in node $(hostname): up"
while :; do sleep 3600 & wait $!; done
`

const standinLabels = (role: Role) => [`LABEL ${STANDIN_LABEL}=${role}`]

/** Where npm lives: the one running `npm test`, else the one on PATH. */
export function npmDir(): string | undefined {
  const candidates = [process.env.npm_execpath]
  try { candidates.push(fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim())) } catch { /* no npm on PATH */ }
  for (const c of candidates) {
    if (!c) continue
    const dir = path.resolve(path.dirname(c), '..')
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'bin', 'npm-cli.js'))) return dir
  }
  return undefined
}

function spec(role: Role): Spec {
  const bb = busyboxEntries(INPUTS.busybox)
  const dirs = (...ps: string[]) => ps.map((p): Entry => ({ path: p, type: 'dir' }))
  const tmp: Entry = { path: '/tmp', type: 'dir', mode: 0o1777 }
  switch (role) {
    case 'registry':
      return {
        pinned: pinnedRegistryImage(),
        entries: [
          ...bb, tmp, ...dirs('/var/lib/registry', '/etc/docker/registry'),
          { path: '/bin/registry', type: 'file', mode: 0o755, source: INPUTS.registry },
          ...libraryEntries(INPUTS.registry),
          { path: '/etc/docker/registry/config.yml', type: 'file', content: REGISTRY_CONFIG },
        ],
        config: [...standinLabels(role), 'VOLUME ["/var/lib/registry"]', 'EXPOSE 5000', 'ENTRYPOINT ["/bin/registry"]', 'CMD ["serve", "/etc/docker/registry/config.yml"]'],
      }
    case 'kind-node':
      return {
        entries: [
          ...bb, tmp, ...dirs('/run', '/var', '/root', '/etc/containerd/certs.d'),
          { path: '/etc/containerd/config.toml', type: 'file', content: '# kind-node stand-in: containerd is not running here; certs.d holds the registry hosts.toml files\nversion = 3\n' },
          { path: '/usr/local/bin/entrypoint', type: 'file', mode: 0o755, content: NODE_INIT },
        ],
        config: [...standinLabels(role), 'ENV PATH=/usr/local/bin:/usr/bin:/bin', 'ENTRYPOINT ["/usr/local/bin/entrypoint"]'],
      }
    case 'base':
      return { entries: [...bb, tmp, ...dirs('/root')], config: [...standinLabels(role), 'ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["sh"]'] }
    case 'node': {
      const nodeBin = path.join(REPO, 'node_modules', 'node', 'bin', 'node')
      const npm = npmDir()
      if (!fs.existsSync(nodeBin)) throw new Error(`no Node binary at ${nodeBin} (npm ci first)`)
      if (!npm) throw new Error('npm not found (neither npm_execpath nor npm on PATH)')
      const npmFiles: Entry[] = []
      const walk = (dir: string, rel: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const abs = path.join(dir, e.name)
          const to = `/usr/local/lib/node_modules/npm${rel}/${e.name}`
          if (e.isDirectory()) walk(abs, `${rel}/${e.name}`)
          else if (e.isSymbolicLink()) npmFiles.push({ path: to, type: 'symlink', target: fs.readlinkSync(abs) })
          else if (e.isFile()) npmFiles.push({ path: to, type: 'file', mode: fs.statSync(abs).mode & 0o777, source: abs })
        }
      }
      walk(npm, '')
      // the CA bundle this machine trusts, so npm reaches its registry through the same TLS setup as the host
      const ca = [process.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt'].find((f) => f && fs.existsSync(f))
      return {
        pinned: pinnedNodeImage(),
        entries: [
          ...bb, tmp, ...dirs('/root'),
          { path: '/usr/local/bin/node', type: 'file', mode: 0o755, source: fs.realpathSync(nodeBin) },
          ...libraryEntries(nodeBin),
          ...npmFiles,
          { path: '/usr/local/bin/npm', type: 'symlink', target: '../lib/node_modules/npm/bin/npm-cli.js' },
          { path: '/usr/local/bin/npx', type: 'symlink', target: '../lib/node_modules/npm/bin/npx-cli.js' },
          ...(ca ? [{ path: '/etc/ssl/certs/ca-certificates.crt', type: 'file', source: ca } as Entry] : []),
        ],
        config: [...standinLabels(role), 'ENV PATH=/usr/local/bin:/usr/bin:/bin', ...(ca ? ['ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'] : []), 'CMD ["node"]'],
      }
    }
  }
}

export interface StandIn {
  role: Role
  /** ptier/<role>:<hash12>, always ours */
  tag: string
  /** the exact tag the product uses (registry:3.0.0, node:24.21.0-alpine), when the role has one */
  pinned?: string
  /** false: that tag held an image that is not a stand-in of ours; it is used as it is */
  pinnedIsOurs?: boolean
}

const labelOf = (ref: string, key: string): string | undefined | null => {
  const r = docker(['image', 'inspect', '--format', `{{index .Config.Labels "${key}"}}`, ref])
  if (r.status !== 0) return null
  const v = r.stdout.trim()
  return v === '<no value>' || v === '' ? undefined : v
}

function build(role: Role, s: Spec, tag: string, hash: string): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ptier-rootfs-${role}-`))
  try {
    const tar = path.join(dir, 'rootfs.tar')
    writeTar(s.entries, tar)
    const changes = [...s.config, `LABEL ${HASH_LABEL}=${hash}`].flatMap((c) => ['--change', c])
    const r = docker(['import', ...changes, tar, tag], { timeoutMs: 300_000 })
    if (r.status !== 0) throw new Error(`docker import of the ${role} stand-in failed: ${r.stderr.trim()}`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Give stand-in `tag` (content `hash`) the exact tag `pinned` the product uses, unless an image that is not a
 * stand-in already holds it: that one is used as it is (false). Call under withLock.
 */
export function pinStandIn(tag: string, hash: string, pinned: string): boolean {
  const there = labelOf(pinned, HASH_LABEL)
  if (there === undefined) return false
  if (there !== hash) {
    const r = docker(['tag', tag, pinned])
    if (r.status !== 0) throw new Error(`docker tag ${tag} ${pinned} failed: ${r.stderr.trim()}`)
  }
  return true
}

/** Build the stand-in if no image of this content exists; give it its pinned tag unless someone else's holds it. */
export function ensureStandIn(role: Role): StandIn {
  const s = spec(role)
  const hash = rootfsHash(s.entries, s.config).slice(0, 12)
  const tag = `${STANDIN_REPO}/${role}:${hash}`
  return withLock(() => {
    if (labelOf(tag, STANDIN_LABEL) === null) build(role, s, tag, hash)
    if (!s.pinned) return { role, tag }
    return { role, tag, pinned: s.pinned, pinnedIsOurs: pinStandIn(tag, hash, s.pinned) }
  })
}
