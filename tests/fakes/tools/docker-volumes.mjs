// Fake docker volumes (state.docker.volumes[name]), as dockerd keeps them, checked against a real engine
// (docker 28.2 CLI, engine 20.10) with a busybox image declaring `VOLUME /var/lib/registry`:
//  - `docker run` creates an anonymous volume (random 64-hex name) for every VOLUME the image declares that no
//    -v/--volume covers; `-v name:/dest` uses (or creates) a named volume, `-v /abs:/dest` is a bind mount.
//    Container `Mounts` in inspect shape: {"Type":"volume","Name":"<64 hex>","Source":"/var/lib/docker/volumes/
//    <name>/_data","Destination":"/var/lib/registry","Driver":"local","Mode":"","RW":true,"Propagation":""}.
//    The registry image declares VOLUME ["/var/lib/registry"] (distribution-library-image Dockerfile).
//  - `docker rm -v` removes the container's anonymous volumes; plain `docker rm` leaves them (dangling).
//  - `docker volume ls [-q] [--filter name=|label=|dangling=] [--format]`: "DRIVER    VOLUME NAME" table or
//    `{{json .}}` rows {"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"","Links":"N/A",
//    "Mountpoint":"...","Name":"...","Scope":"local","Size":"N/A","Status":"N/A"}.
//  - `docker volume rm`: prints the name; missing -> "Error response from daemon: get <v>: no such volume"
//    (exit 1; with -f: no error); in use -> "Error response from daemon: remove <v>: volume is in use -
//    [<container id>]" (exit 1).
//  - `docker volume inspect`: JSON array; missing -> "[]" and the "no such volume" error, exit 1.
import crypto from 'node:crypto'

const hex = () => crypto.randomBytes(32).toString('hex')
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')

/** VOLUME declarations of the images the fakes know (by repository name, any tag or digest). */
const IMAGE_VOLUMES = { registry: ['/var/lib/registry'] }

export function declaredVolumes(image) {
  const repo = String(image ?? '').replace(/@.*$/, '').replace(/:[^/:]+$/, '')
  return IMAGE_VOLUMES[repo.split('/').at(-1)] ?? []
}

function volumes(d) {
  d.volumes ??= {}
  return d.volumes
}

function newVolume(d, name, anonymous) {
  const v = { CreatedAt: now(), Driver: 'local', Labels: anonymous ? { 'com.docker.volume.anonymous': '' } : null, Mountpoint: `/var/lib/docker/volumes/${name}/_data`, Name: name, Options: null, Scope: 'local' }
  volumes(d)[name] = v
  return v
}

const volumeMount = (v, dest, ro) => ({ Type: 'volume', Name: v.Name, Source: v.Mountpoint, Destination: dest, Driver: 'local', Mode: ro ? 'ro' : '', RW: !ro, Propagation: '' })

/** The container's Mounts for `docker run <image>` with these -v/--volume values; creates the volumes. */
export function mountsFor(d, image, specs = []) {
  const mounts = []
  for (const spec of specs) {
    const parts = spec.split(':')
    const ro = parts.length > 2 && parts.at(-1).split(',').includes('ro')
    if (parts.length === 1) { mounts.push(volumeMount(newVolume(d, hex(), true), parts[0], false)); continue }
    const [src, dest] = parts
    if (src.startsWith('/') || src.startsWith('.')) mounts.push({ Type: 'bind', Source: src, Destination: dest, Mode: ro ? 'ro' : '', RW: !ro, Propagation: 'rprivate' })
    else mounts.push(volumeMount(volumes(d)[src] ?? newVolume(d, src, false), dest, ro))
  }
  for (const dest of declaredVolumes(image)) {
    if (!mounts.some((m) => m.Destination === dest)) mounts.push(volumeMount(newVolume(d, hex(), true), dest, false))
  }
  return mounts
}

const isAnonymous = (v) => Boolean(v?.Labels && 'com.docker.volume.anonymous' in v.Labels)
const usersOf = (d, name) => Object.values(d.containers ?? {}).filter((c) => (c.Mounts ?? []).some((m) => m.Type === 'volume' && m.Name === name))

/** `docker rm -v`: the anonymous volumes of a removed container go too (named ones stay). */
export function removeAnonymousVolumes(d, c) {
  for (const m of c.Mounts ?? []) {
    if (m.Type === 'volume' && isAnonymous(volumes(d)[m.Name]) && !usersOf(d, m.Name).some((o) => o !== c)) delete volumes(d)[m.Name]
  }
}

function row(v) {
  const labels = Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(',')
  return { Availability: 'N/A', Driver: v.Driver, Group: 'N/A', Labels: labels, Links: 'N/A', Mountpoint: v.Mountpoint, Name: v.Name, Scope: v.Scope, Size: 'N/A', Status: 'N/A' }
}

function matches(d, v, f) {
  const eq = f.indexOf('=')
  const key = f.slice(0, eq)
  const val = f.slice(eq + 1)
  if (key === 'name') return v.Name.includes(val)
  if (key === 'label') { const i = val.indexOf('='); return i === -1 ? val in (v.Labels ?? {}) : v.Labels?.[val.slice(0, i)] === val.slice(i + 1) }
  if (key === 'dangling') return (usersOf(d, v.Name).length === 0) === (val === 'true' || val === '1')
  if (key === 'driver') return v.Driver === val
  return true
}

export function volume({ argv, state, template }) {
  const d = state.docker
  const [, sub, ...args] = argv
  const err = (stderr, code = 1) => ({ code, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` })
  if (sub === 'ls' || sub === 'list') {
    let format
    const filters = []
    let quiet = false
    for (let i = 0; i < args.length; i++) {
      const a = args[i]
      if (a === '--format') format = args[++i]
      else if (a.startsWith('--format=')) format = a.slice(9)
      else if (a === '--filter' || a === '-f') filters.push(args[++i])
      else if (a.startsWith('--filter=')) filters.push(a.slice(9))
      else if (a === '-q' || a === '--quiet') quiet = true
    }
    const list = Object.values(volumes(d)).filter((v) => filters.every((f) => matches(d, v, f))).sort((a, b) => a.Name.localeCompare(b.Name))
    if (quiet) return { code: 0, stdout: list.map((v) => `${v.Name}\n`).join('') }
    if (format) return { code: 0, stdout: list.map((v) => `${template(format, row(v))}\n`).join('') }
    return { code: 0, stdout: `${'DRIVER'.padEnd(9)} VOLUME NAME\n${list.map((v) => `${v.Driver.padEnd(9)} ${v.Name}\n`).join('')}` }
  }
  if (sub === 'rm' || sub === 'remove') {
    const force = args.includes('-f') || args.includes('--force')
    const out = []
    const errs = []
    for (const name of args.filter((a) => !a.startsWith('-'))) {
      if (!volumes(d)[name]) { if (force) out.push(name); else errs.push(`Error response from daemon: get ${name}: no such volume`); continue }
      const users = usersOf(d, name)
      if (users.length) { errs.push(`Error response from daemon: remove ${name}: volume is in use - [${users.map((c) => c.Id).join(', ')}]`); continue }
      delete volumes(d)[name]
      out.push(name)
    }
    return { code: errs.length ? 1 : 0, stdout: out.map((n) => `${n}\n`).join(''), stderr: errs.map((e) => `${e}\n`).join('') }
  }
  if (sub === 'inspect') {
    const names = args.filter((a) => !a.startsWith('-'))
    const found = names.filter((n) => volumes(d)[n]).map((n) => volumes(d)[n])
    const missing = names.filter((n) => !volumes(d)[n])
    return { code: missing.length ? 1 : 0, stdout: `${JSON.stringify(found, null, 4)}\n`, stderr: missing.map((n) => `Error response from daemon: get ${n}: no such volume\n`).join('') }
  }
  if (sub === 'create') {
    const name = args.filter((a) => !a.startsWith('-')).at(-1) ?? hex()
    if (!volumes(d)[name]) newVolume(d, name, false)
    return { code: 0, stdout: `${name}\n` }
  }
  return err(`docker: unknown command: docker volume ${sub}\n\nRun 'docker volume --help' for more information`)
}
