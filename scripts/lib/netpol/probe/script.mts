// The probe agent: ONE small POSIX shell script per source pod per round, run with a single `kubectl exec`
// in the probe container. It starts every probe in the background (so N targets cost one timeout, not N),
// waits, and prints one line per target:   R <id> <exit code> <first line of the tool's output>
//
// TCP/UDP/SCTP use `agnhost connect`, which prefixes failures with TIMEOUT / REFUSED / DNS / OTHER, so a
// drop by policy (timeout) is told apart from "nothing listening" (refused) and "name did not resolve".
// UDP via agnhost only counts as connected when the server answers; DNS ports (53) are therefore probed
// with a real query (dig), which any DNS server answers.

import type { Protocol } from '../model.mts'
import type { ProbeClass } from '../report/types.mts'

export const SCRIPT_MARKER = '# netpol-probe v1'
/** the name the DNS probes query: answered by any cluster DNS, even with NXDOMAIN */
export const DNS_QUERY_NAME = 'kubernetes.default.svc.cluster.local'
/** probes started before the script waits for a batch, so a huge target list cannot fork-bomb the pod */
const BATCH = 64

export interface ProbeSpec {
  id: number
  method: 'connect' | 'dns'
  protocol: Protocol
  /** IP or DNS name */
  host: string
  port: number
}

export interface ProbeOutcome {
  connected: boolean
  class: ProbeClass
  detail?: string
}

// brackets (IPv6 host:port) are quoted too: unquoted, the shell would treat [..] as a glob
const shellWord = (s: string) => (/^[\w.:@%+=,/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)
const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)

export function buildProbeScript(specs: readonly ProbeSpec[], timeoutSec: number): string {
  const t = Math.max(1, Math.round(timeoutSec))
  const lines = [
    SCRIPT_MARKER,
    `T=${t}`,
    'c() { o=$(/agnhost connect "$3" --protocol="$2" --timeout="${T}s" 2>&1); r=$?; printf \'R %s %s %s\\n\' "$1" "$r" "$(printf \'%s\' "$o" | head -n 1)"; }',
    'd() { o=$(dig +time="$T" +tries=1 +short "$2" -p "$4" @"$3" ' + DNS_QUERY_NAME + ' 2>&1); r=$?; if [ "$r" = 9 ]; then case "$o" in *refused*) o="REFUSED: $o";; *) o="TIMEOUT: $o";; esac; fi; printf \'R %s %s %s\\n\' "$1" "$r" "$(printf \'%s\' "$o" | head -n 1)"; }',
  ]
  specs.forEach((s, i) => {
    if (s.method === 'dns') lines.push(`d ${s.id} ${s.protocol === 'TCP' ? '+tcp' : '+notcp'} ${shellWord(s.host)} ${s.port} &`)
    else lines.push(`c ${s.id} ${s.protocol.toLowerCase()} ${shellWord(hostPort(s.host, s.port))} &`)
    if ((i + 1) % BATCH === 0) lines.push('wait')
  })
  lines.push('wait')
  return `${lines.join('\n')}\n`
}

export function classify(exitCode: number, output: string): ProbeOutcome {
  if (exitCode === 0) return { connected: true, class: 'ok' }
  const text = output.trim()
  const word = /^([A-Z]+)\b/.exec(text)?.[1]
  const detail = text.slice(0, 160) || `exit code ${exitCode}`
  switch (word) {
    case 'TIMEOUT':
      return { connected: false, class: 'timeout', detail }
    case 'REFUSED':
      return { connected: false, class: 'refused', detail }
    case 'DNS':
      return { connected: false, class: 'dns', detail }
    default:
      return { connected: false, class: 'other', detail }
  }
}

/** id -> outcome for every well-formed result line; ids without a line are simply absent. */
export function parseProbeOutput(stdout: string): Map<number, ProbeOutcome> {
  const out = new Map<number, ProbeOutcome>()
  for (const line of stdout.split('\n')) {
    const m = /^R (\d+) (\d+) ?(.*)$/.exec(line.trimEnd())
    if (m) out.set(Number(m[1]), classify(Number(m[2]), m[3] ?? ''))
  }
  return out
}

/** Inverse of buildProbeScript, for fakes and tests: the probes a script would run. */
export function parseProbeScript(script: string): ProbeSpec[] {
  if (!script.startsWith(SCRIPT_MARKER)) return []
  const specs: ProbeSpec[] = []
  for (const line of script.split('\n')) {
    let m = /^c (\d+) (tcp|udp|sctp) '?(?:\[([^\]]+)\]|([^:']+)):(\d+)'? &$/.exec(line)
    if (m) {
      specs.push({ id: Number(m[1]), method: 'connect', protocol: (m[2] as string).toUpperCase() as Protocol, host: (m[3] ?? m[4]) as string, port: Number(m[5]) })
      continue
    }
    m = /^d (\d+) (\+tcp|\+notcp) '?([^' ]+)'? (\d+) &$/.exec(line)
    if (m) specs.push({ id: Number(m[1]), method: 'dns', protocol: m[2] === '+tcp' ? 'TCP' : 'UDP', host: m[3] as string, port: Number(m[4]) })
  }
  return specs
}
