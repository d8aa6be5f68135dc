// Raw networking.k8s.io/v1 NetworkPolicy -> normalized Policy, applying the API server's defaulting and
// rejecting what its validation rejects, so the engine never has to guess.
//
// Defaulting (pkg/apis/networking/v1/defaults.go): when spec.policyTypes is empty, Ingress is always
// added and Egress only when spec.egress is non-empty. So a policy with only egress rules and no
// policyTypes ALSO denies all ingress to its pods, and `egress: []` alone does not isolate egress.
// With explicit policyTypes, the rule list of an unlisted type is ignored.

import { InvalidInput, MATCH_ALL, parseSelector } from './labels.mts'
import { isStrictSubnet, parseCidr } from './ip.mts'
import { PROTOCOLS, type Peer, type Policy, type PolicyPort, type PolicyRule, type Protocol } from './model.mts'

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const absent = (v: unknown): v is null | undefined => v === undefined || v === null

/** IANA_SVC_NAME as validated by the API server for named ports. */
export function isValidPortName(s: string): boolean {
  return s.length >= 1 && s.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes('--')
}

export function parseProtocol(raw: unknown, field: string): Protocol {
  if (absent(raw)) return 'TCP'
  if (typeof raw !== 'string' || !PROTOCOLS.includes(raw as Protocol)) {
    throw new InvalidInput(field, `must be one of ${PROTOCOLS.join(', ')}, got ${JSON.stringify(raw)}`)
  }
  return raw as Protocol
}

function parsePort(raw: unknown, field: string): PolicyPort {
  if (!isRecord(raw)) throw new InvalidInput(field, 'must be an object with protocol/port/endPort')
  const protocol = parseProtocol(raw.protocol, `${field}.protocol`)
  const port = raw.port
  const endPort = raw.endPort
  const out: PolicyPort = { protocol }
  if (!absent(port)) {
    if (typeof port === 'number') {
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidInput(`${field}.port`, `must be 1-65535, got ${port}`)
      out.port = port
    } else if (typeof port === 'string') {
      if (!isValidPortName(port)) {
        throw new InvalidInput(`${field}.port`, `${JSON.stringify(port)} is neither a port number nor a valid port name (a quoted number is a name; write it unquoted)`)
      }
      out.port = port
    } else {
      throw new InvalidInput(`${field}.port`, 'must be a number or a port name')
    }
  }
  if (!absent(endPort)) {
    if (typeof endPort !== 'number' || !Number.isInteger(endPort) || endPort < 1 || endPort > 65535) throw new InvalidInput(`${field}.endPort`, 'must be 1-65535')
    if (typeof out.port !== 'number') throw new InvalidInput(`${field}.endPort`, 'may only be set together with a numeric port')
    if (endPort < out.port) throw new InvalidInput(`${field}.endPort`, `must be >= port (${out.port}), got ${endPort}`)
    out.endPort = endPort
  }
  return out
}

function parsePeer(raw: unknown, field: string): Peer {
  if (!isRecord(raw)) throw new InvalidInput(field, 'must be an object')
  const hasIp = !absent(raw.ipBlock)
  const hasNs = !absent(raw.namespaceSelector)
  const hasPod = !absent(raw.podSelector)
  if (hasIp && (hasNs || hasPod)) throw new InvalidInput(field, 'ipBlock may not be combined with namespaceSelector or podSelector')
  if (hasIp) {
    const ib = raw.ipBlock
    if (!isRecord(ib)) throw new InvalidInput(`${field}.ipBlock`, 'must be an object with cidr and optional except')
    if (typeof ib.cidr !== 'string') throw new InvalidInput(`${field}.ipBlock.cidr`, 'is required')
    const cidr = parseCidr(ib.cidr)
    if (!cidr) throw new InvalidInput(`${field}.ipBlock.cidr`, `is not a valid CIDR: ${ib.cidr}`)
    const except = absent(ib.except) ? [] : ib.except
    if (!Array.isArray(except)) throw new InvalidInput(`${field}.ipBlock.except`, 'must be a list of CIDRs')
    except.forEach((e: unknown, i) => {
      const c = typeof e === 'string' ? parseCidr(e) : undefined
      if (!c) throw new InvalidInput(`${field}.ipBlock.except[${i}]`, `is not a valid CIDR: ${String(e)}`)
      if (!isStrictSubnet(c, cidr)) throw new InvalidInput(`${field}.ipBlock.except[${i}]`, `${e as string} must be a strict subset of ${ib.cidr}`)
    })
    return { kind: 'ipBlock', cidr: ib.cidr, except: except as string[] }
  }
  if (!hasNs && !hasPod) throw new InvalidInput(field, 'must set podSelector, namespaceSelector or ipBlock')
  const peer: Peer = { kind: 'selector' }
  if (hasNs) peer.namespaceSelector = parseSelector(raw.namespaceSelector, `${field}.namespaceSelector`)
  if (hasPod) peer.podSelector = parseSelector(raw.podSelector, `${field}.podSelector`)
  return peer
}

function parseRules(raw: unknown, field: string, peersKey: 'from' | 'to'): PolicyRule[] {
  if (absent(raw)) return []
  if (!Array.isArray(raw)) throw new InvalidInput(field, 'must be a list of rules')
  return raw.map((r: unknown, i) => {
    const f = `${field}[${i}]`
    // `- {}` and a bare `-` (null) are both the allow-everything rule
    const rule = absent(r) ? {} : r
    if (!isRecord(rule)) throw new InvalidInput(f, 'must be an object')
    const ports = absent(rule.ports) ? [] : rule.ports
    const peers = absent(rule[peersKey]) ? [] : rule[peersKey]
    if (!Array.isArray(ports)) throw new InvalidInput(`${f}.ports`, 'must be a list')
    if (!Array.isArray(peers)) throw new InvalidInput(`${f}.${peersKey}`, 'must be a list')
    return {
      ports: ports.map((p: unknown, j) => parsePort(p, `${f}.ports[${j}]`)),
      peers: peers.map((p: unknown, j) => parsePeer(p, `${f}.${peersKey}[${j}]`)),
    }
  })
}

/** Normalizes one NetworkPolicy object. Throws InvalidInput naming the offending field. */
export function parseNetworkPolicy(obj: Record<string, unknown>, source?: string): Policy {
  const meta = isRecord(obj.metadata) ? obj.metadata : {}
  const name = typeof meta.name === 'string' ? meta.name : ''
  if (!name) throw new InvalidInput('metadata.name', 'is required')
  const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default'
  const spec = isRecord(obj.spec) ? obj.spec : {}
  const podSelector = absent(spec.podSelector) ? MATCH_ALL : parseSelector(spec.podSelector, 'spec.podSelector')
  const ingressRules = parseRules(spec.ingress, 'spec.ingress', 'from')
  const egressRules = parseRules(spec.egress, 'spec.egress', 'to')

  let types: string[]
  if (absent(spec.policyTypes) || (Array.isArray(spec.policyTypes) && spec.policyTypes.length === 0)) {
    types = ['Ingress', ...(egressRules.length > 0 ? ['Egress'] : [])]
  } else {
    if (!Array.isArray(spec.policyTypes)) throw new InvalidInput('spec.policyTypes', 'must be a list')
    spec.policyTypes.forEach((t: unknown, i) => {
      if (t !== 'Ingress' && t !== 'Egress') throw new InvalidInput(`spec.policyTypes[${i}]`, `must be Ingress or Egress, got ${JSON.stringify(t)}`)
    })
    types = spec.policyTypes as string[]
  }
  const policy: Policy = { namespace, name, podSelector }
  if (types.includes('Ingress')) policy.ingress = ingressRules
  if (types.includes('Egress')) policy.egress = egressRules
  if (source !== undefined) policy.source = source
  return policy
}
