// Fake docker exec for the pull-through caches (registry containers in proxy mode): the three looks up and status
// take inside one, answered as the real binaries in the registry image (busybox) answer them:
//  - `find <dir> -name link -path '*/_manifests/*'`: one path per line; a missing dir prints
//    "find: <dir>: No such file or directory" on stderr, exit 1.
//  - `du -sk <dir>`: "<KiB>\t<dir>".
//  - `wget -qO- http://127.0.0.1:5001/debug/vars`: expvar's JSON with registry.proxy.{blobs,manifests} counters
//    ({Requests, Hits, Misses, BytesPulled, BytesPushed}, distribution's proxymetrics.go) when the container has
//    REGISTRY_HTTP_DEBUG_ADDR; else busybox's "wget: can't connect to remote host (127.0.0.1): Connection refused".
// Cached content is files under /var/lib/registry in the container's `files` (tests seed them with cacheFiles()).
// `docker run --rm --entrypoint find -v <volume>:<dir>:ro <image> <args>` (the --offline check reads a cache's
// volume this way) answers from the files of a container that mounts that volume, as if they lived on it; a
// volume that does not exist is created empty, as dockerd does for -v name:/dest.
// Counters: `proxy` on the container ({ blobs: {...}, manifests: {...} }), zero when absent.

const zero = () => ({ Requests: 0, Hits: 0, Misses: 0, BytesPulled: 0, BytesPushed: 0 })

/** Paths a cache holding `refs` ("library/traefik:v3.6.2") has in its storage. */
export function cacheFiles(refs) {
  const files = {}
  for (const ref of refs) {
    const i = ref.lastIndexOf(':')
    const repo = ref.slice(0, i)
    const tag = ref.slice(i + 1)
    const base = `/var/lib/registry/docker/registry/v2/repositories/${repo}/_manifests`
    files[`${base}/tags/${tag}/current/link`] = 'sha256:0000000000000000000000000000000000000000000000000000000000000000'
    files[`${base}/revisions/sha256/0000000000000000000000000000000000000000000000000000000000000000/link`] = 'sha256:0000000000000000000000000000000000000000000000000000000000000000'
  }
  return files
}

const glob = (pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)

export function mirrorExec(c, cmd) {
  const files = c.files ?? {}
  if (cmd[0] === 'find') {
    const dir = cmd[1]
    const under = Object.keys(files).filter((f) => f.startsWith(`${dir}/`)).sort()
    if (!under.length) return { code: 1, stdout: '', stderr: `find: ${dir}: No such file or directory\n` }
    const name = cmd[cmd.indexOf('-name') + 1]
    const pathPattern = cmd.includes('-path') ? glob(cmd[cmd.indexOf('-path') + 1]) : undefined
    const hits = under.filter((f) => (!name || f.split('/').at(-1) === name) && (!pathPattern || pathPattern.test(f)))
    return { code: 0, stdout: hits.map((f) => `${f}\n`).join(''), stderr: '' }
  }
  if (cmd[0] === 'du' && cmd[1] === '-sk') {
    const dir = cmd[2]
    const bytes = Object.entries(files).filter(([f]) => f.startsWith(`${dir}/`)).reduce((a, [, v]) => a + String(v).length, 0)
    return { code: 0, stdout: `${4 + Math.ceil(bytes / 1024) * 4}\t${dir}\n`, stderr: '' }
  }
  if (cmd[0] === 'wget' && /\/debug\/vars$/.test(cmd.at(-1) ?? '')) {
    const debug = (c.Config?.Env ?? []).some((e) => e.startsWith('REGISTRY_HTTP_DEBUG_ADDR='))
    if (!debug) return { code: 1, stdout: '', stderr: "wget: can't connect to remote host (127.0.0.1): Connection refused\n" }
    const proxy = { blobs: { ...zero(), ...c.proxy?.blobs }, manifests: { ...zero(), ...c.proxy?.manifests } }
    const vars = `{\n"cmdline": ["registry","serve","/etc/distribution/config.yml"],\n"registry": ${JSON.stringify({ proxy })}\n}\n`
    return { code: 0, stdout: vars, stderr: '' }
  }
  return undefined
}

/** A throwaway `docker run --rm --entrypoint find` over a cache's volume; undefined for any other run. */
export function throwawayRun(d, o) {
  if (!o.rm || o.entrypoint !== 'find') return undefined
  const spec = o.volumes.find((v) => !v.startsWith('/'))
  const [volume, dest] = (spec ?? '').split(':')
  d.volumes ??= {}
  if (volume && !d.volumes[volume]) {
    d.volumes[volume] = { CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), Driver: 'local', Labels: null, Mountpoint: `/var/lib/docker/volumes/${volume}/_data`, Name: volume, Options: null, Scope: 'local' }
  }
  const owner = Object.values(d.containers ?? {}).find((c) => (c.Mounts ?? []).some((m) => m.Name === volume && m.Destination === dest))
  const files = Object.fromEntries(Object.entries(owner?.files ?? {}).filter(([f]) => f.startsWith(`${dest}/`)))
  return mirrorExec({ files, Config: { Env: [] } }, ['find', ...o.cmd])
}
