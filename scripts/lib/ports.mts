// Host ports are tested the only reliable way: by binding the exact address that will be used.

import net from 'node:net'

export type PortProbe = 'free' | 'busy' | 'denied'

export function probePort(port: number, host = '127.0.0.1'): Promise<PortProbe> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EACCES' ? 'denied' : 'busy'))
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve('free')))
  })
}

/** A free port chosen by the OS (for port-forwards and tests). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen({ port: 0, host }, () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForListening(port: number, host = '127.0.0.1', timeoutMs = 10_000, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host })
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
      s.setTimeout(1000, () => { s.destroy(); resolve(false) })
    })
    if (ok) return
    if (signal?.aborted) throw new Error('aborted')
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs}ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
