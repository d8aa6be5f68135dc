// wrk's report (wrk 4.x with --latency) as numbers. Units as wrk's units.c prints them: us, ms, s, m.

export interface WrkResult {
  requests: number
  /** Requests/sec: completed requests over the run */
  rps: number
  p50: number
  p90: number
  p99: number
  /** "Non-2xx or 3xx responses" */
  non2xx: number
  /** connect + read + write + timeout socket errors */
  socketErrors: number
}

const MS_PER: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

/** "767.00us" -> 0.767 (ms) */
export function wrkTimeMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim())
  if (!m) throw new Error(`not a wrk time: ${text}`)
  return Number(m[1]) * MS_PER[m[2]!]!
}

/** Throws when the text is not a wrk --latency report (wrk failed, or another tool answered). */
export function parseWrk(text: string): WrkResult {
  const pct = (p: number) => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)\\s*$`, 'm').exec(text)
    if (!m) throw new Error(`no ${p}% line in the wrk output (was --latency given?):\n${text}`)
    return wrkTimeMs(m[1]!)
  }
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text)
  const requests = /^\s*(\d+) requests in /m.exec(text)
  if (!rps || !requests) throw new Error(`not a wrk report:\n${text}`)
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  return {
    requests: Number(requests[1]),
    rps: Number(rps[1]),
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0,
  }
}
