// IPv4/IPv6 addresses and CIDR blocks as (family, bigint) so containment is one mask-and-compare.
// Non-canonical CIDRs (host bits set, e.g. 10.0.0.1/8) are accepted and masked, as the API server's
// legacy validation tolerates them.

export interface Cidr {
  family: 4 | 6
  /** network address with host bits cleared */
  base: bigint
  prefix: number
  text: string
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  let v = 0n
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined
    const n = Number(p)
    if (n > 255) return undefined
    v = (v << 8n) | BigInt(n)
  }
  return v
}

function parseV6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined
  let head = s
  let tailV4: bigint | undefined
  // an embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups
  const lastColon = s.lastIndexOf(':')
  if (s.includes('.')) {
    tailV4 = parseV4(s.slice(lastColon + 1))
    if (tailV4 === undefined) return undefined
    head = `${s.slice(0, lastColon + 1)}0:0`
  }
  const halves = head.split('::')
  if (halves.length > 2) return undefined
  const groups = (h: string) => (h === '' ? [] : h.split(':'))
  const left = groups(halves[0] ?? '')
  const right = halves.length === 2 ? groups(halves[1] ?? '') : []
  const missing = 8 - left.length - right.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right]
  let v = 0n
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined
    v = (v << 16n) | BigInt(parseInt(g, 16))
  }
  if (tailV4 !== undefined) v = (v & ~0xffffffffn) | tailV4
  return v
}

export function parseIp(s: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = parseV4(s)
  if (v4 !== undefined) return { family: 4, value: v4 }
  const v6 = s.includes(':') ? parseV6(s) : undefined
  return v6 === undefined ? undefined : { family: 6, value: v6 }
}

export const isIp = (s: string): boolean => parseIp(s) !== undefined

export function parseCidr(s: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s.trim())
  if (!m) return undefined
  const ip = parseIp(m[1] as string)
  if (!ip) return undefined
  const prefix = Number(m[2])
  const bits = ip.family === 4 ? 32 : 128
  if (prefix > bits) return undefined
  const hostBits = BigInt(bits - prefix)
  const base = (ip.value >> hostBits) << hostBits
  return { family: ip.family, base, prefix, text: s.trim() }
}

export function cidrContainsIp(c: Cidr, ip: { family: 4 | 6; value: bigint }): boolean {
  if (c.family !== ip.family) return false
  const hostBits = BigInt((c.family === 4 ? 32 : 128) - c.prefix)
  return ip.value >> hostBits === c.base >> hostBits
}

/** true when `inner` lies inside `outer` and is strictly smaller (what the API requires of `except`). */
export function isStrictSubnet(inner: Cidr, outer: Cidr): boolean {
  return inner.family === outer.family && inner.prefix > outer.prefix && cidrContainsIp(outer, { family: inner.family, value: inner.base })
}
