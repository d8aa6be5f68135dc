// Fake `kubectl debug` (ephemeral probe containers) and `kubectl exec` of netpol probe scripts, simulating
// a CNI that enforces NetworkPolicies with the engine's semantics. Configured through state.netpol:
//   enforce:  'reported' (default: the policies stored in the cluster) | 'none' (a CNI without policy
//             support) | { drop: ['ns/name', ...] } (stored minus these) | { policies: [objects] } (another set)
//   settleAfterExecs: N   the first N exec calls see no enforcement at all (policies not programmed yet)
//   denyAs: 'TIMEOUT' (default, dropped) | 'REFUSED' (rejected)
//   closed: ['ns/pod:port/PROTO']   allowed, but nothing listens there -> REFUSED
//   externalIps: { 'example.com': '93.184.215.14' }   what DNS names resolve to
//   probeContainer: 'running' (default) | 'ErrImagePull'   what a new ephemeral container does
//   execs: count of simulated exec calls (written by the fake)
// Anything that is not a netpol probe script exits 126, so other areas notice they need their own handler.
import { objectsOf } from './store.mjs'

// Loaded only by exec. (No `then` in results: the fake CLI awaits the result, so a then() would never settle.)
const lib = (p) => import(new URL(`../../../../scripts/lib/netpol/${p}`, import.meta.url).href)

const err = (stderr, code = 1) => ({ code, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` })

/** kubectl flags before `--`: namespace, container, pod (first positional after the subcommand) */
function split(argv) {
  const dd = argv.indexOf('--')
  const head = dd === -1 ? argv : argv.slice(0, dd)
  const command = dd === -1 ? [] : argv.slice(dd + 1)
  const out = { namespace: 'default', container: undefined, image: undefined, positional: [], command }
  for (let i = 0; i < head.length; i++) {
    const a = head[i]
    const val = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : head[++i])
    if (a === '-n' || a === '--namespace' || a.startsWith('--namespace=')) out.namespace = val()
    else if (a === '-c' || a === '--container' || a.startsWith('--container=')) out.container = val()
    else if (a === '--image' || a.startsWith('--image=')) out.image = val()
    else if (a === '--context') i++
    else if (a.startsWith('-')) continue
    else out.positional.push(a)
  }
  return out
}

function findPod(objs, ns, name) {
  return objs.find((o) => o.kind === 'Pod' && o.metadata?.namespace === ns && o.metadata?.name === name)
}

function debug({ argv, a, state, target }) {
  const t = target(state, a)
  if (t.error) return t.error
  const s = split(argv)
  const podName = s.positional[1]
  const pod = findPod(objectsOf(state, t.name), s.namespace, podName)
  if (!pod) return err(`Error from server (NotFound): pods "${podName}" not found`)
  const name = s.container ?? 'debugger-fake'
  pod.spec ??= {}
  pod.spec.ephemeralContainers ??= []
  if (pod.spec.ephemeralContainers.some((c) => c.name === name)) return err(`error: ephemeral container "${name}" already exists in pod "${podName}"`)
  pod.spec.ephemeralContainers.push({ name, image: s.image, command: s.command })
  pod.status ??= {}
  pod.status.ephemeralContainerStatuses ??= []
  const mode = state.netpol?.probeContainer ?? 'running'
  const st = mode === 'running' ? { running: { startedAt: '2025-01-01T00:00:00Z' } } : { waiting: { reason: mode, message: `failed to pull image "${s.image}"` } }
  pod.status.ephemeralContainerStatuses.push({ name, image: s.image, state: st })
  return { code: 0, stdout: '' }
}

function enforcedPolicies(state, stored) {
  const n = state.netpol ?? {}
  if ((n.settleAfterExecs ?? 0) >= (n.execs ?? 0)) return []
  const e = n.enforce ?? 'reported'
  if (e === 'none') return []
  if (e === 'reported') return stored
  if (e.drop) return stored.filter((p) => !e.drop.includes(`${p.metadata?.namespace ?? 'default'}/${p.metadata?.name}`))
  if (e.policies) return e.policies
  return stored
}

const isIp = (h) => /^\d+\.\d+\.\d+\.\d+$/.test(h) || h.includes(':')

function exec({ argv, a, state, target }) {
  const t = target(state, a)
  if (t.error) return t.error
  const s = split(argv)
  const podName = s.positional[1]
  const objs = objectsOf(state, t.name)
  const pod = findPod(objs, s.namespace, podName)
  if (!pod) return err(`Error from server (NotFound): pods "${podName}" not found`)
  if (pod.status?.phase !== 'Running') return err(`error: cannot exec into a container in a completed pod; current phase is ${pod.status?.phase ?? 'Pending'}`)
  const eph = (pod.status?.ephemeralContainerStatuses ?? []).find((c) => c.name === s.container)
  const regular = (pod.spec?.containers ?? []).some((c) => c.name === s.container)
  if (!regular && !eph?.state?.running) return err(`error: unable to upgrade connection: container not found ("${s.container}")`)
  const [sh, flag, script] = s.command
  if (sh !== 'sh' || flag !== '-c' || typeof script !== 'string' || !script.startsWith('# netpol-probe')) {
    return err('fake kubectl exec: only netpol probe scripts are simulated (see tests/fakes/tools/kubectl/netpol.mjs)', 126)
  }
  state.netpol ??= {}
  state.netpol.execs = (state.netpol.execs ?? 0) + 1
  const running = objs.filter((o) => o.kind !== 'Pod' || (o.status?.phase === 'Running' && o.status?.podIP))
  const stored = running.filter((o) => o.kind === 'NetworkPolicy')
  const world = structuredClone([...running.filter((o) => o.kind === 'Namespace' || o.kind === 'Pod'), ...enforcedPolicies(state, stored)])
  const config = structuredClone(state.netpol)
  return simulate(world, config, `${s.namespace}/${podName}`, script)
}

async function simulate(world, config, source, script) {
  const [{ buildCluster }, { buildEngine }, { dnsAllowed }, { parseProbeScript }] = await Promise.all([lib('objects.mts'), lib('engine.mts'), lib('targets.mts'), lib('probe/script.mts')])
  const engine = buildEngine(buildCluster(world.map((obj) => ({ obj })), { expandWorkloads: false }).cluster)
  const src = engine.indexOf(source)
  if (src === undefined) throw new Error(`source pod ${source} vanished from the snapshot`)
  const from = { kind: 'pod', index: src }
  const denied = config.denyAs === 'REFUSED' ? 'REFUSED' : 'TIMEOUT'
  const closed = new Set(config.closed ?? [])
  const lines = parseProbeScript(script).map((p) => {
    let ip = p.host
    if (!isIp(p.host)) {
      if (!dnsAllowed(engine, src)) return `R ${p.id} 1 DNS: lookup ${p.host}: i/o timeout`
      ip = config.externalIps?.[p.host]
      if (!ip) return `R ${p.id} 1 DNS: lookup ${p.host}: no such host`
    }
    const dstIndex = engine.pods.findIndex((x) => x.ips.includes(ip))
    const dst = dstIndex === -1 ? { kind: 'external', ip } : { kind: 'pod', index: dstIndex }
    const allowed = engine.allowed(from, dst, p.port, p.protocol)
    const fail = (word) => (p.method === 'dns' ? `R ${p.id} 9 ${word}: ;; connection timed out; no servers could be reached` : `R ${p.id} 1 ${word}`)
    if (!allowed) return fail(denied)
    if (dstIndex !== -1) {
      const d = engine.pods[dstIndex]
      const listens = d.ports.some((cp) => cp.port === p.port && cp.protocol === p.protocol) && !closed.has(`${d.namespace}/${d.name}:${p.port}/${p.protocol}`)
      if (!listens) return fail('REFUSED')
    }
    return p.method === 'dns' ? `R ${p.id} 0 10.96.0.1` : `R ${p.id} 0 `
  })
  return { code: 0, stdout: `${lines.join('\n')}\n` }
}

export default function netpol(ctx) {
  const sub = ctx.argv.find((x) => x === 'exec' || x === 'debug')
  return sub === 'debug' ? debug(ctx) : exec(ctx)
}
