// Fake `kubectl port-forward`: behaves like the real one where scripts depend on it. It prints
// "Forwarding from 127.0.0.1:<port> -> <targetPort>" (and the [::1] line unless --address 127.0.0.1), listens
// on the local port, proxies each connection to a backend from the fake state, prints
// "Handling connection for <port>" per connection, and runs until killed.
//
// Backends: state.kube.forwards["<namespace>/<svc|pod|deploy>/<name>"] = "127.0.0.1:<port>"
//           or { address: "127.0.0.1:<port>", targetPort: 8000 } (targetPort only changes the printed line).
// Unknown resource -> `Error from server (NotFound): services "demo" not found`, exit 1, like kubectl.
// Every started forward appends {pid, key, port} to FAKE_STATE_DIR/port-forwards.jsonl (tests check they die).
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { kube } from './store.mjs'

const KINDS = {
  svc: ['svc', 'services'], service: ['svc', 'services'], services: ['svc', 'services'],
  pod: ['pod', 'pods'], pods: ['pod', 'pods'], po: ['pod', 'pods'],
  deploy: ['deploy', 'deployments.apps'], deployment: ['deploy', 'deployments.apps'], deployments: ['deploy', 'deployments.apps'],
}

function parse(argv) {
  const out = { context: undefined, namespace: 'default', address: 'localhost', positional: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const val = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i])
    if (a === '--context' || a.startsWith('--context=')) out.context = val()
    else if (a === '-n' || a === '--namespace' || a.startsWith('--namespace=')) out.namespace = val()
    else if (a === '--address' || a.startsWith('--address=')) out.address = val()
    else if (a === '--pod-running-timeout' || a.startsWith('--pod-running-timeout=')) val()
    else if (a.startsWith('-')) out.unknown = a
    else out.positional.push(a)
  }
  return out
}

const err = (stderr, code = 1) => ({ code, stderr: `${stderr}\n` })

function listen(server, port, host) {
  return new Promise((resolve) => {
    server.once('error', (e) => resolve(e))
    server.listen(port, host, () => resolve(undefined))
  })
}

export default async function portForward({ argv, state, target, dir }) {
  const p = parse(argv.slice(argv.indexOf('port-forward') + 1).concat(argv.slice(0, argv.indexOf('port-forward'))))
  if (p.unknown) return err(`error: unknown flag: ${p.unknown}\nSee 'kubectl port-forward --help' for usage.`)
  const t = target(state, { context: p.context })
  if (t.error) return t.error
  const [resource, ...specs] = p.positional
  if (!resource || specs.length === 0) return err('error: TYPE/NAME and list of ports are required for port-forward\nSee \'kubectl port-forward -h\' for help and examples')
  const [word, name] = resource.includes('/') ? resource.split('/') : ['pod', resource]
  const kind = KINDS[word.toLowerCase()]
  if (!kind) return err(`error: the server doesn't have a resource type "${word}"`)
  const key = `${p.namespace}/${kind[0]}/${name}`
  const backend = kube(state).forwards?.[key]
  if (!backend) return err(`Error from server (NotFound): ${kind[1]} "${name}" not found`)
  const address = typeof backend === 'string' ? backend : backend.address
  const [bHost, bPort] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))]
  if (!['localhost', '127.0.0.1'].includes(p.address)) return err(`error: fake kubectl binds loopback only, not ${p.address}`, 96)

  const lines = []
  const servers = []
  for (const spec of specs) {
    const [l, r] = spec.includes(':') ? spec.split(':') : [spec, spec]
    const remote = Number(r)
    const local = l === '' ? 0 : Number(l)
    if (!Number.isInteger(remote) || !Number.isInteger(local)) return err(`error: Error parsing local port '${l}': invalid syntax`)
    const targetPort = typeof backend === 'object' && backend.targetPort ? backend.targetPort : remote
    const server = net.createServer((sock) => {
      process.stdout.write(`Handling connection for ${server.address().port}\n`)
      const up = net.connect({ host: bHost, port: bPort })
      up.on('error', (e) => {
        process.stderr.write(`E1121 00:00:00.000000 ${process.pid} portforward.go:424] "Unhandled Error" err="an error occurred forwarding ${server.address().port} -> ${targetPort}: error forwarding port ${targetPort} to pod ${name}, uid : failed to connect to localhost:${targetPort} inside namespace: ${e.code ?? e.message}"\n`)
        sock.destroy()
      })
      sock.on('error', () => up.destroy())
      sock.pipe(up).pipe(sock)
    })
    const e = await listen(server, local, '127.0.0.1')
    if (e) {
      for (const s of servers) s.close()
      return err(`Unable to listen on port ${local}: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:${local}: bind: address already in use]\nerror: unable to listen on any of the requested ports: [{${local} ${targetPort}}]`)
    }
    servers.push(server)
    const port = server.address().port
    lines.push(`Forwarding from 127.0.0.1:${port} -> ${targetPort}`)
    if (p.address === 'localhost') lines.push(`Forwarding from [::1]:${port} -> ${targetPort}`)
    fs.appendFileSync(path.join(dir, 'port-forwards.jsonl'), `${JSON.stringify({ pid: process.pid, key, port, t: Date.now() })}\n`)
  }
  // No `then` field here: the fake CLI awaits the result, and an object with a then() method is a thenable that
  // would never settle while holding the state lock. The listening servers alone keep the process alive, so
  // like kubectl it runs until a signal ends it.
  return { code: 0, stdout: `${lines.join('\n')}\n` }
}
