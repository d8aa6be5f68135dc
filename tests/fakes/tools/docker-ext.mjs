// Fake docker: containers, networks and exec, statefully, with the real CLI's argv, output shapes, messages and
// exit codes where the scripts depend on them. Containers are stored in `docker inspect` shape
// (state.docker.containers[name]) plus `files` (path -> content) for what `docker exec` wrote inside.
// Host ports: a port held by another fake container fails like the daemon ("port is already allocated"), and a
// port a REAL process holds on this machine fails like the userland proxy ("address already in use").
// Add subcommands to HANDLERS (one function each).
import crypto from 'node:crypto'
import net from 'node:net'

const err = (stderr, code = 1, stdout = '') => ({ code, stdout, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` })
const ok = (stdout = '') => ({ code: 0, stdout })
const hex = () => crypto.randomBytes(32).toString('hex')
const now = () => new Date().toISOString()

export function docker(state) {
  state.docker ??= { daemon: true }
  const d = state.docker
  d.containers ??= {}
  d.networks ??= {}
  for (const n of ['bridge', 'host', 'none']) d.networks[n] ??= newNetwork(n, n === 'bridge' ? 'bridge' : n === 'host' ? 'host' : 'null')
  return d
}

export function newNetwork(name, driver = 'bridge') {
  return { Name: name, Id: hex(), Created: now(), Scope: 'local', Driver: driver, EnableIPv6: false, Internal: false, Attachable: false, Options: {}, Labels: {} }
}

/** Parse `-p` the way docker does: [ip:]hostPort:containerPort[/proto] or containerPort[/proto]. */
export function parsePublish(spec) {
  const [addr, proto = 'tcp'] = spec.split('/')
  const parts = addr.split(':')
  const containerPort = parts.pop()
  const hostPort = parts.pop() ?? ''
  const hostIp = parts.join(':')
  return { key: `${containerPort}/${proto}`, binding: { HostIp: hostIp, HostPort: hostPort } }
}

/** A container in `docker inspect` shape. */
export function newContainer({ name, image, labels = {}, env = [], cmd = [], portBindings = {}, restart = 'no', networks = ['bridge'], running = true, hostname }) {
  const id = hex()
  return {
    Id: id,
    Created: now(),
    Path: cmd[0] ?? '/entrypoint.sh',
    Args: cmd.slice(1),
    State: running ? { Status: 'running', Running: true, Paused: false, Restarting: false, ExitCode: 0, StartedAt: now() } : { Status: 'created', Running: false, Paused: false, Restarting: false, ExitCode: 0 },
    Name: `/${name}`,
    RestartCount: 0,
    HostConfig: { PortBindings: portBindings, RestartPolicy: { Name: restart.split(':')[0], MaximumRetryCount: Number(restart.split(':')[1] ?? 0) }, NetworkMode: networks[0] ?? 'bridge' },
    Config: { Hostname: hostname ?? id.slice(0, 12), Env: env, Cmd: cmd.length ? cmd : null, Image: image, Labels: labels },
    NetworkSettings: {
      Ports: running ? portBindings : {},
      Networks: Object.fromEntries(networks.map((n, i) => [n, { NetworkID: '', EndpointID: hex(), IPAddress: `172.18.0.${i + 2}`, Aliases: [name] }])),
    },
    files: {},
  }
}

const public_ = (c) => { const { files, ...rest } = c; return rest }

/** Bindings of running containers (other than `except`) that clash with `bindings`. */
function allocated(d, bindings, except) {
  for (const [key, list] of Object.entries(bindings)) {
    for (const b of list ?? []) {
      for (const other of Object.values(d.containers)) {
        if (other === except || !other.State.Running) continue
        for (const [okey, olist] of Object.entries(other.HostConfig.PortBindings ?? {})) {
          if (okey.split('/')[1] !== key.split('/')[1]) continue
          for (const o of olist ?? []) {
            const anyIp = (ip) => !ip || ip === '0.0.0.0'
            if (o.HostPort && o.HostPort === b.HostPort && (anyIp(o.HostIp) || anyIp(b.HostIp) || o.HostIp === b.HostIp)) return `${b.HostIp || '0.0.0.0'}:${b.HostPort}`
          }
        }
      }
    }
  }
  return undefined
}

/** Whether a real process on this machine holds host:port (the fake daemon binds nothing itself). */
function realBusy(host, port) {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.unref()
    s.once('error', () => resolve(true))
    s.listen({ host: host || '0.0.0.0', port: Number(port), exclusive: true }, () => s.close(() => resolve(false)))
  })
}

/** Start `c`: allocate its ports like the daemon does. Returns an error message or undefined. */
export async function startPorts(d, c) {
  const name = c.Name.slice(1)
  const clash = allocated(d, c.HostConfig.PortBindings ?? {}, c)
  if (clash) return `driver failed programming external connectivity on endpoint ${name} (${c.Id.slice(0, 64)}): Bind for ${clash} failed: port is already allocated`
  for (const [key, list] of Object.entries(c.HostConfig.PortBindings ?? {})) {
    for (const b of list ?? []) {
      if (b.HostPort && key.endsWith('/tcp') && (await realBusy(b.HostIp, b.HostPort))) {
        return `driver failed programming external connectivity on endpoint ${name} (${c.Id.slice(0, 64)}): Error starting userland proxy: listen tcp4 ${b.HostIp || '0.0.0.0'}:${b.HostPort}: bind: address already in use`
      }
    }
  }
  c.State = { ...c.State, Status: 'running', Running: true, StartedAt: now() }
  // a binding without a host port (-p 127.0.0.1::5000) gets one the daemon picks, shown only in NetworkSettings
  c.NetworkSettings.Ports = Object.fromEntries(Object.entries(c.HostConfig.PortBindings ?? {}).map(([k, list]) => [k, (list ?? []).map((b) => ({ ...b, HostPort: b.HostPort || String(32768 + Math.floor(Math.random() * 28000)) }))]))
  return undefined
}

// ---------- docker run ----------
const RUN_VALUE_FLAGS = new Set(['-p', '--publish', '--name', '-l', '--label', '--restart', '--network', '--net', '-e', '--env', '-v', '--volume', '--hostname', '-h', '--security-opt', '--tmpfs', '--entrypoint', '-w', '--workdir', '-u', '--user', '--platform', '--pull', '--cgroupns', '--add-host', '--memory', '-m', '--cpus', '--volume-driver', '--device', '--mount'])

function parseRun(argv) {
  const o = { publish: [], labels: {}, env: [], restart: 'no', network: 'bridge', detach: false, rm: false, volumes: [] }
  let i = 0
  for (; i < argv.length; i++) {
    let a = argv[i]
    if (!a.startsWith('-') || a === '-') break
    let v
    if (a.startsWith('--') && a.includes('=')) { v = a.slice(a.indexOf('=') + 1); a = a.slice(0, a.indexOf('=')) }
    if (RUN_VALUE_FLAGS.has(a)) {
      v ??= argv[++i]
      if (a === '-p' || a === '--publish') o.publish.push(v)
      else if (a === '--name') o.name = v
      else if (a === '-l' || a === '--label') { const eq = v.indexOf('='); o.labels[eq === -1 ? v : v.slice(0, eq)] = eq === -1 ? '' : v.slice(eq + 1) }
      else if (a === '--restart') o.restart = v
      else if (a === '--network' || a === '--net') o.network = v
      else if (a === '-e' || a === '--env') o.env.push(v)
      else if (a === '--hostname' || a === '-h') o.hostname = v
      else if (a === '-v' || a === '--volume') o.volumes.push(v)
      else if (a === '--entrypoint') o.entrypoint = v
    } else if (a === '-d' || a === '--detach') o.detach = true
    else if (a === '--rm') o.rm = true
    else if (/^-[a-z]+$/.test(a)) { if (a.includes('d')) o.detach = true }
  }
  o.image = argv[i]
  o.cmd = argv.slice(i + 1)
  return o
}

async function run({ argv, state, env = {} }) {
  const d = docker(state)
  const o = parseRun(argv.slice(1))
  // `-e NAME` takes the value from the CLI's own environment; a name that is not set there is left out
  o.env = o.env.flatMap((e) => (e.includes('=') ? [e] : env[e] !== undefined ? [`${e}=${env[e]}`] : []))
  const fail = (m) => err(`docker: Error response from daemon: ${m}\n\nRun 'docker run --help' for more information`, 125)
  if (!o.image) return err(`docker: 'docker run' requires at least 1 argument\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'docker run --help' for more information`, 125)
  const once = throwawayRun(d, o) // docker-mirrors.mjs: `run --rm --entrypoint find -v <cache volume>:...:ro`
  if (once) return once
  const name = o.name ?? `fake_${crypto.randomBytes(3).toString('hex')}`
  if (d.containers[name]) return fail(`Conflict. The container name "/${name}" is already in use by container "${d.containers[name].Id}". You have to remove (or rename) that container to be able to reuse that name.`)
  if (!d.networks[o.network]) return fail(`network ${o.network} not found`)
  const portBindings = {}
  for (const p of o.publish) {
    const { key, binding } = parsePublish(p)
    ;(portBindings[key] ??= []).push(binding)
  }
  // The daemon creates the container first; a port failure leaves it behind in "created" state, like docker does.
  const c = newContainer({ name, image: o.image, labels: o.labels, env: o.env, cmd: o.cmd, portBindings, restart: o.restart, networks: [o.network], running: false, hostname: o.hostname })
  c.Mounts = mountsFor(d, o.image, o.volumes) // docker-volumes.mjs: the image's VOLUMEs become anonymous volumes
  d.containers[name] = c
  const bad = await startPorts(d, c)
  if (bad) return fail(bad)
  return ok(o.detach ? `${c.Id}\n` : '')
}

// ---------- start / stop / rm ----------
async function start({ argv, state }) {
  const d = docker(state)
  const names = argv.slice(1).filter((a) => !a.startsWith('-'))
  const out = []
  const errs = []
  const failed = []
  for (const n of names) {
    const c = d.containers[n]
    if (!c) { errs.push(`Error response from daemon: No such container: ${n}`); failed.push(n); continue }
    if (!c.State.Running) {
      const bad = await startPorts(d, c)
      // the daemon keeps why the start failed in State.Error (docker inspect shows it)
      if (bad) { c.State = { ...c.State, Error: bad, ExitCode: 128 }; errs.push(`Error response from daemon: ${bad}`); failed.push(n); continue }
      c.State = { ...c.State, Error: '' }
    }
    out.push(n)
  }
  if (failed.length) errs.push(`Error: failed to start containers: ${failed.join(', ')}`)
  return { code: failed.length ? 1 : 0, stdout: out.map((n) => `${n}\n`).join(''), stderr: errs.map((e) => `${e}\n`).join('') }
}

function stop({ argv, state }) {
  const d = docker(state)
  const args = argv.slice(1)
  const names = args.filter((a, i) => !a.startsWith('-') && !['-t', '--time', '-s', '--signal'].includes(args[i - 1]))
  const out = []
  const errs = []
  for (const n of names) {
    const c = d.containers[n]
    if (!c) { errs.push(`Error response from daemon: No such container: ${n}`); continue }
    c.State = { ...c.State, Status: 'exited', Running: false, ExitCode: 0 }
    c.NetworkSettings.Ports = {}
    out.push(n)
  }
  return { code: errs.length ? 1 : 0, stdout: out.map((n) => `${n}\n`).join(''), stderr: errs.map((e) => `${e}\n`).join('') }
}

function rm({ argv, state }) {
  const d = docker(state)
  const args = argv.slice(1)
  const force = args.some((a) => a === '-f' || a === '--force' || /^-[a-z]*f[a-z]*$/.test(a))
  const withVolumes = args.some((a) => a === '-v' || a === '--volumes' || /^-[a-z]*v[a-z]*$/.test(a))
  const names = args.filter((a) => !a.startsWith('-'))
  const out = []
  const errs = []
  let code = 0
  for (const n of names) {
    const c = d.containers[n]
    if (!c) {
      // docker >= 20.10: with --force a missing container is a warning, not a failure (docker/cli#2678)
      errs.push(`Error response from daemon: No such container: ${n}`)
      if (!force) code = 1
      continue
    }
    if (c.State.Running && !force) {
      errs.push(`Error response from daemon: cannot remove container "/${n}": container is running: stop the container before removing or force remove`)
      code = 1
      continue
    }
    delete d.containers[n]
    if (withVolumes) removeAnonymousVolumes(d, c)
    out.push(n)
  }
  return { code, stdout: out.map((n) => `${n}\n`).join(''), stderr: errs.map((e) => `${e}\n`).join('') }
}

// ---------- inspect / ps (Go templates: {{json .}}, {{json .A.B}}, {{.A.B}}) ----------
export function template(fmt, obj) {
  return fmt.replace(/\{\{\s*(json\s+)?\.([\w.]*)\s*\}\}/g, (_, json, path) => {
    const v = path ? path.split('.').reduce((x, k) => (x == null ? undefined : x[k]), obj) : obj
    if (json) return JSON.stringify(v ?? null)
    if (v === undefined || v === null) return '<no value>'
    if (typeof v === 'object') return Array.isArray(v) ? `[${v.join(' ')}]` : `map[${Object.entries(v).map(([k, x]) => `${k}:${typeof x === 'object' ? JSON.stringify(x) : x}`).join(' ')}]`
    return String(v)
  }).replace(/\\n/g, '\n').replace(/\\t/g, '\t')
}

function takeFormat(args) {
  let format
  const rest = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '-f' || a === '--format') format = args[++i]
    else if (a.startsWith('--format=')) format = a.slice(9)
    else rest.push(a)
  }
  return { format, rest }
}

function networkView(d, n) {
  const containers = {}
  for (const c of Object.values(d.containers)) {
    const ep = c.NetworkSettings.Networks?.[n.Name]
    if (ep) containers[c.Id] = { Name: c.Name.slice(1), EndpointID: ep.EndpointID, MacAddress: '02:42:ac:12:00:02', IPv4Address: `${ep.IPAddress}/16`, IPv6Address: '' }
  }
  return { ...n, Containers: containers }
}

function inspect({ argv, state }) {
  const d = docker(state)
  let { format, rest } = takeFormat(argv.slice(1))
  let type
  const names = []
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--type') type = rest[++i]
    else if (rest[i].startsWith('--type=')) type = rest[i].slice(7)
    else if (rest[i] === '-s' || rest[i] === '--size') continue
    else names.push(rest[i])
  }
  const found = []
  const errs = []
  for (const n of names) {
    const c = type === undefined || type === 'container' ? d.containers[n] ?? Object.values(d.containers).find((x) => x.Id.startsWith(n) && n.length >= 12) : undefined
    const net = !c && (type === undefined || type === 'network') ? d.networks[n] : undefined
    if (c) found.push(public_(c))
    else if (net) found.push(networkView(d, net))
    else errs.push(type === 'container' ? `Error: No such container: ${n}` : type === 'network' ? `Error: No such network: ${n}` : `Error: No such object: ${n}`)
  }
  const stdout = format ? found.map((o) => `${template(format, o)}\n`).join('') : `${JSON.stringify(found, null, 4)}\n`
  return { code: errs.length ? 1 : 0, stdout, stderr: errs.map((e) => `${e}\n`).join('') }
}

function psRow(c, noTrunc) {
  const ports = Object.entries(c.State.Running ? c.HostConfig.PortBindings ?? {} : {}).flatMap(([key, list]) => (list ?? []).map((b) => `${b.HostIp || '0.0.0.0'}:${b.HostPort}->${key}`)).join(', ')
  return {
    Command: `"${[c.Path, ...c.Args].join(' ').slice(0, 20)}…"`,
    CreatedAt: c.Created,
    ID: noTrunc ? c.Id : c.Id.slice(0, 12),
    Image: c.Config.Image,
    Labels: Object.entries(c.Config.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    LocalVolumes: '0',
    Mounts: '',
    Names: c.Name.slice(1),
    Networks: Object.keys(c.NetworkSettings.Networks ?? {}).join(','),
    Ports: ports,
    RunningFor: 'About a minute ago',
    Size: '0B',
    State: c.State.Status,
    Status: c.State.Running ? 'Up About a minute' : c.State.Status === 'created' ? 'Created' : 'Exited (0) About a minute ago',
  }
}

function matchesFilter(c, f) {
  const eq = f.indexOf('=')
  const key = f.slice(0, eq)
  const val = f.slice(eq + 1)
  if (key === 'name') {
    try { return new RegExp(val).test(c.Name) || new RegExp(val).test(c.Name.slice(1)) } catch { return c.Name.includes(val) }
  }
  if (key === 'label') {
    const i = val.indexOf('=')
    const labels = c.Config.Labels ?? {}
    return i === -1 ? val in labels : labels[val.slice(0, i)] === val.slice(i + 1)
  }
  if (key === 'status') return c.State.Status === val
  if (key === 'id') return c.Id.startsWith(val)
  if (key === 'network') return Boolean(c.NetworkSettings.Networks?.[val])
  return true
}

function ps({ argv, state }) {
  const d = docker(state)
  const { format, rest } = takeFormat(argv.slice(1))
  const all = rest.some((a) => a === '-a' || a === '--all' || /^-[a-z]*a[a-z]*$/.test(a))
  const quiet = rest.some((a) => a === '-q' || a === '--quiet' || /^-[a-z]*q[a-z]*$/.test(a))
  const noTrunc = rest.includes('--no-trunc')
  const filters = []
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--filter' || rest[i] === '-f') filters.push(rest[++i])
    else if (rest[i].startsWith('--filter=')) filters.push(rest[i].slice(9))
  }
  // docker ANDs different filter keys and ORs repeated values of one key
  const byKey = {}
  for (const f of filters) (byKey[f.slice(0, f.indexOf('='))] ??= []).push(f)
  const list = Object.values(d.containers).filter((c) => (all || c.State.Running) && Object.values(byKey).every((fs) => fs.some((f) => matchesFilter(c, f))))
  const rows = list.map((c) => psRow(c, noTrunc))
  if (quiet) return ok(rows.map((r) => `${r.ID}\n`).join(''))
  if (format) return ok(rows.map((r) => `${template(format, r)}\n`).join(''))
  const head = 'CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES\n'
  return ok(head + rows.map((r) => `${r.ID}   ${r.Image}   ${r.Command}   ${r.RunningFor}   ${r.Status}   ${r.Ports}   ${r.Names}\n`).join(''))
}

// ---------- network ----------
function network({ argv, state }) {
  const d = docker(state)
  const [, sub, ...args] = argv
  const notFound = (n) => err(`Error response from daemon: network ${n} not found`)
  if (sub === 'ls' || sub === 'list') {
    const { format, rest } = takeFormat(args)
    const filters = []
    for (let i = 0; i < rest.length; i++) if (rest[i] === '--filter' || rest[i] === '-f') filters.push(rest[++i]); else if (rest[i].startsWith('--filter=')) filters.push(rest[i].slice(9))
    const quiet = rest.includes('-q') || rest.includes('--quiet')
    const nets = Object.values(d.networks).filter((n) => filters.every((f) => {
      const [k, v] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]
      if (k === 'name') { try { return new RegExp(v).test(n.Name) } catch { return n.Name.includes(v) } }
      if (k === 'label') { const i = v.indexOf('='); return i === -1 ? v in (n.Labels ?? {}) : n.Labels?.[v.slice(0, i)] === v.slice(i + 1) }
      return true
    }))
    const rows = nets.map((n) => ({ ID: n.Id.slice(0, 12), Name: n.Name, Driver: n.Driver, Scope: n.Scope, IPv6: String(n.EnableIPv6), Internal: String(n.Internal), CreatedAt: n.Created, Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') }))
    if (quiet) return ok(rows.map((r) => `${r.ID}\n`).join(''))
    if (format) return ok(rows.map((r) => `${template(format, r)}\n`).join(''))
    return ok(`NETWORK ID     NAME      DRIVER    SCOPE\n${rows.map((r) => `${r.ID}   ${r.Name}   ${r.Driver}   ${r.Scope}\n`).join('')}`)
  }
  if (sub === 'inspect') {
    const { format, rest } = takeFormat(args)
    const names = rest.filter((a) => !a.startsWith('-'))
    const found = names.filter((n) => d.networks[n]).map((n) => networkView(d, d.networks[n]))
    const missing = names.filter((n) => !d.networks[n])
    const stdout = format ? found.map((o) => `${template(format, o)}\n`).join('') : `${JSON.stringify(found, null, 4)}\n`
    return { code: missing.length ? 1 : 0, stdout, stderr: missing.map((n) => `Error response from daemon: network ${n} not found\n`).join('') }
  }
  if (sub === 'create') {
    const name = args.filter((a) => !a.startsWith('-')).at(-1)
    if (d.networks[name]) return err(`Error response from daemon: network with name ${name} already exists`)
    d.networks[name] = newNetwork(name)
    return ok(`${d.networks[name].Id}\n`)
  }
  if (sub === 'connect' || sub === 'disconnect') {
    const [net, cname] = args.filter((a) => !a.startsWith('-'))
    const n = d.networks[net]
    if (!n) return notFound(net)
    const c = d.containers[cname]
    if (!c) return err(`Error response from daemon: No such container: ${cname}`)
    c.NetworkSettings.Networks ??= {}
    if (sub === 'connect') {
      if (c.NetworkSettings.Networks[net]) return err(`Error response from daemon: endpoint with name ${cname} already exists in network ${net}`)
      c.NetworkSettings.Networks[net] = { NetworkID: n.Id, EndpointID: hex(), IPAddress: `172.18.0.${10 + Object.keys(c.NetworkSettings.Networks).length}`, Aliases: [cname] }
      return ok('')
    }
    if (!c.NetworkSettings.Networks[net]) return err(`Error response from daemon: container ${c.Id} is not connected to network ${net}`)
    delete c.NetworkSettings.Networks[net]
    return ok('')
  }
  if (sub === 'rm' || sub === 'remove') {
    const names = args.filter((a) => !a.startsWith('-'))
    const out = []
    const errs = []
    for (const name of names) {
      const n = d.networks[name]
      if (!n) { errs.push(`Error response from daemon: network ${name} not found`); continue }
      if (Object.values(d.containers).some((c) => c.NetworkSettings.Networks?.[name])) { errs.push(`Error response from daemon: error while removing network: network ${name} id ${n.Id} has active endpoints`); continue }
      delete d.networks[name]
      out.push(name)
    }
    return { code: errs.length ? 1 : 0, stdout: out.map((n) => `${n}\n`).join(''), stderr: errs.map((e) => `${e}\n`).join('') }
  }
  return err(`docker: unknown command: docker network ${sub}\n\nRun 'docker network --help' for more information`)
}

// ---------- exec: enough of sh for reading and writing files inside a container ----------
/** Split a shell command into words (single/double quotes, no expansion). */
export function shellWords(s) {
  const words = []
  let cur = ''
  let has = false
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]
    if (ch === "'") { const j = s.indexOf("'", i + 1); cur += s.slice(i + 1, j); i = j; has = true }
    else if (ch === '"') { const j = s.indexOf('"', i + 1); cur += s.slice(i + 1, j); i = j; has = true }
    else if (/\s/.test(ch)) { if (has) words.push(cur); cur = ''; has = false }
    else { cur += ch; has = true }
  }
  if (has) words.push(cur)
  return words
}

const dirOf = (p) => p.slice(0, p.lastIndexOf('/')) || '/'

function sh(c, script, stdin) {
  c.dirs ??= ['/', '/etc', '/etc/containerd', '/tmp', '/kind']
  let stdout = ''
  for (const part of script.split('&&').map((p) => p.trim()).filter(Boolean)) {
    const w = shellWords(part)
    if (w[0] === 'true' || w[0] === ':') continue
    if (w[0] === 'mkdir') {
      for (const dir of w.slice(1).filter((x) => !x.startsWith('-'))) {
        let p = ''
        for (const seg of dir.split('/').filter(Boolean)) { p += `/${seg}`; if (!c.dirs.includes(p)) c.dirs.push(p) }
      }
      continue
    }
    let target
    if (w[0] === 'cat' && w[1] === '>' && w[2]) target = w[2]
    else if (w[0] === 'cat' && w[1]?.startsWith('>')) target = w[1].slice(1)
    else if (w[0] === 'cp' && w[1] === '/dev/stdin' && w[2]) target = w[2]
    else if (w[0] === 'tee' && w[1]) target = w[1]
    if (target) {
      if (!c.dirs.includes(dirOf(target))) return { code: 2, stdout, stderr: `sh: 1: cannot create ${target}: Directory nonexistent\n` }
      c.files[target] = stdin
      continue
    }
    if (w[0] === 'cp' && w.length === 3) {
      if (!(w[1] in c.files)) return { code: 1, stdout, stderr: `cp: cannot stat '${w[1]}': No such file or directory\n` }
      if (!c.dirs.includes(dirOf(w[2]))) return { code: 1, stdout, stderr: `cp: cannot create regular file '${w[2]}': No such file or directory\n` }
      c.files[w[2]] = c.files[w[1]]
      continue
    }
    if (w[0] === 'cat') {
      // like cat: a missing file is reported and skipped, the others are still printed, then exit 1
      let missing = ''
      for (const f of w.slice(1)) {
        if (f in c.files) stdout += c.files[f]
        else missing += `cat: ${f}: No such file or directory\n`
      }
      if (missing) return { code: 1, stdout, stderr: missing }
      continue
    }
    if (w[0] === 'rm') { for (const f of w.slice(1).filter((x) => !x.startsWith('-'))) delete c.files[f]; continue }
    if (w[0] === 'test' && (w[1] === '-f' || w[1] === '-e')) { if (!(w[2] in c.files)) return { code: 1, stdout, stderr: '' }; continue }
    return { code: 127, stdout, stderr: `sh: 1: ${w[0]}: not found\n` }
  }
  return { code: 0, stdout, stderr: '' }
}

function exec({ argv, state, stdin }) {
  const d = docker(state)
  const args = argv.slice(1)
  let i = 0
  let interactive = false
  for (; i < args.length && args[i].startsWith('-'); i++) {
    const a = args[i]
    if (['-u', '--user', '-w', '--workdir', '-e', '--env', '--env-file', '--detach-keys'].includes(a)) i++
    else if (a === '-i' || a === '--interactive' || /^-[a-z]*i[a-z]*$/.test(a)) interactive = true
  }
  const name = args[i]
  const cmd = args.slice(i + 1)
  const c = d.containers[name]
  if (!c) return err(`Error response from daemon: No such container: ${name}`)
  if (!c.State.Running) return err(`Error response from daemon: container ${c.Id} is not running`)
  const input = interactive ? stdin ?? '' : ''
  if ((cmd[0] === 'sh' || cmd[0] === 'bash' || cmd[0] === '/bin/sh') && cmd[1] === '-c') return sh(c, cmd[2] ?? '', input)
  if (cmd[0] === 'cat' || cmd[0] === 'mkdir' || cmd[0] === 'test' || cmd[0] === 'true' || cmd[0] === 'rm') return sh(c, cmd.map((x) => `'${x}'`).join(' '), input)
  const cache = mirrorExec(c, cmd) // docker-mirrors.mjs: find/du/wget inside a pull-through cache
  if (cache) return cache
  return err(`OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd[0]}": executable file not found in $PATH: unknown`, 127)
}
import { mirrorExec, throwawayRun } from './docker-mirrors.mjs'

// ---------- logs: what a container printed (state `logs`, one string), `--tail N` keeps the last N lines ----------
function logs({ argv, state }) {
  const d = docker(state)
  const args = argv.slice(1)
  let tail
  const names = []
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--tail' || args[i] === '-n') tail = args[++i]
    else if (args[i].startsWith('--tail=')) tail = args[i].slice(7)
    else if (!args[i].startsWith('-')) names.push(args[i])
  }
  const c = d.containers[names[0]]
  if (!c) return err(`Error: No such container: ${names[0]}`)
  const lines = String(c.logs ?? '').split('\n').filter((l, i, all) => l || i < all.length - 1)
  const kept = tail === undefined || tail === 'all' ? lines : lines.slice(Math.max(0, lines.length - Number(tail)))
  return ok(kept.map((l) => `${l}\n`).join(''))
}

export const HANDLERS = { run, start, stop, rm, inspect, ps, network, exec, logs }

export default async function dockerExt({ argv, state, stdin, env }) {
  let [cmd] = argv
  let rest = argv
  // `docker container ls|inspect|rm|start|stop` are the same commands
  if (cmd === 'container' && argv[1]) { rest = argv.slice(1); cmd = rest[0] === 'ls' || rest[0] === 'list' ? 'ps' : rest[0] }
  const h = HANDLERS[cmd]
  if (!h) return undefined
  return h({ argv: rest, state, stdin, env })
}

// ---------- up helper: the demo image (build, push, manifest inspect, image inspect) lives in docker-image.mjs ----------
import { HANDLERS as IMAGE_HANDLERS } from './docker-image.mjs'
for (const [name, h] of Object.entries(IMAGE_HANDLERS)) HANDLERS[name] ??= h

// ---------- volumes (anonymous volumes of images' VOLUMEs, rm -v, docker volume ...) live in docker-volumes.mjs ----------
import { mountsFor, removeAnonymousVolumes, volume } from './docker-volumes.mjs'
HANDLERS.volume ??= (ctx) => { docker(ctx.state); return volume({ ...ctx, template }) }
