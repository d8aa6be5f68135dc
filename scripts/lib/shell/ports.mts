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

/** One TCP connect attempt; true when something accepts on host:port. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host })
    const done = (ok: boolean) => { sock.destroy(); resolve(ok) }
    sock.setTimeout(timeoutMs, () => done(false))
    sock.once('connect', () => done(true))
    sock.once('error', () => done(false))
  })
}
