// A root filesystem as a list of entries, hashed by content and written as a tar that `docker import` turns into
// an image. Offline by construction: every byte comes from this machine (busybox-static, docker-registry, the
// Node binary in node_modules) or from this repository.

import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export type Entry =
  | { path: string; type: 'dir'; mode?: number }
  | { path: string; type: 'file'; mode?: number; source: string }
  | { path: string; type: 'file'; mode?: number; content: string }
  | { path: string; type: 'symlink'; target: string }

/** busybox plus a link for each of its applets in /bin (sh, wget, cat, mkdir, cp, sleep, ...). */
export function busyboxEntries(busybox: string): Entry[] {
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter((s) => /^[\w.[-]+$/.test(s) && s !== 'busybox')
  return [
    { path: '/bin/busybox', type: 'file', mode: 0o755, source: busybox },
    ...applets.map((a): Entry => ({ path: `/bin/${a}`, type: 'symlink', target: 'busybox' })),
    { path: '/usr/bin/env', type: 'symlink', target: '/bin/busybox' },
  ]
}

/** The shared libraries and loader a dynamically linked binary needs, at the same paths as on this host (ldd). */
export function libraryEntries(binary: string): Entry[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' })
  const files = new Set<string>()
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line)
    if (m) files.add(m[1]!)
  }
  return [...files].sort().map((f): Entry => ({ path: f, type: 'file', mode: 0o755, source: fs.realpathSync(f) }))
}

/** Every entry once (later ones win) plus the parent directories tar extraction needs, sorted by path. */
export function normalize(entries: Entry[]): Entry[] {
  const byPath = new Map<string, Entry>()
  for (const e of entries) byPath.set(path.posix.normalize(e.path), { ...e, path: path.posix.normalize(e.path) })
  for (const p of [...byPath.keys()]) {
    for (let d = path.posix.dirname(p); d !== '/'; d = path.posix.dirname(d)) if (!byPath.has(d)) byPath.set(d, { path: d, type: 'dir' })
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

const fileHash = new Map<string, string>()
function contentHash(e: Entry): string {
  if (e.type !== 'file') return ''
  if ('content' in e) return crypto.createHash('sha256').update(e.content).digest('hex')
  let h = fileHash.get(e.source)
  if (!h) {
    h = crypto.createHash('sha256').update(fs.readFileSync(e.source)).digest('hex')
    fileHash.set(e.source, h)
  }
  return h
}

/** sha256 of what the image is made of: every entry (path, type, mode, content or link) and its config. */
export function rootfsHash(entries: Entry[], config: string[]): string {
  const h = crypto.createHash('sha256')
  for (const e of normalize(entries)) {
    h.update(`${e.type}\0${e.path}\0${'mode' in e ? e.mode ?? '' : ''}\0${e.type === 'symlink' ? e.target : contentHash(e)}\n`)
  }
  for (const c of config) h.update(`config\0${c}\n`)
  return h.digest('hex')
}

// ---- ustar writer (enough for regular files, directories and symlinks with short names) ----

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`
}

function header(name: string, o: { mode: number; size: number; type: '0' | '2' | '5'; link?: string }): Buffer {
  const b = Buffer.alloc(512)
  let prefix = ''
  let base = name
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155)
    prefix = name.slice(0, cut)
    base = name.slice(cut + 1)
  }
  b.write(base, 0, 100)
  b.write(octal(o.mode, 8), 100)
  b.write(octal(0, 8), 108)
  b.write(octal(0, 8), 116)
  b.write(octal(o.size, 12), 124)
  b.write(octal(0, 12), 136)
  b.write('        ', 148)
  b.write(o.type, 156)
  if (o.link) b.write(o.link, 157, 100)
  b.write('ustar\0', 257)
  b.write('00', 263)
  b.write(prefix, 345, 155)
  let sum = 0
  for (const x of b) sum += x
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  return b
}

/** Write the entries as a tar file (uid/gid 0, mtime 0). */
export function writeTar(entries: Entry[], file: string): void {
  const fd = fs.openSync(file, 'w')
  try {
    for (const e of normalize(entries)) {
      const name = e.path.replace(/^\//, '') + (e.type === 'dir' ? '/' : '')
      if (e.type === 'dir') fs.writeSync(fd, header(name, { mode: e.mode ?? 0o755, size: 0, type: '5' }))
      else if (e.type === 'symlink') fs.writeSync(fd, header(name, { mode: 0o777, size: 0, type: '2', link: e.target }))
      else {
        const body = 'content' in e ? Buffer.from(e.content) : fs.readFileSync(e.source)
        fs.writeSync(fd, header(name, { mode: e.mode ?? 0o644, size: body.length, type: '0' }))
        fs.writeSync(fd, body)
        const pad = (512 - (body.length % 512)) % 512
        if (pad) fs.writeSync(fd, Buffer.alloc(pad))
      }
    }
    fs.writeSync(fd, Buffer.alloc(1024))
  } finally {
    fs.closeSync(fd)
  }
}
