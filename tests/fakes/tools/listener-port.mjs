// A host port for something that will LISTEN on it a moment later (docker-proxy, a registry container).
// Asking the OS (listen on :0, close) answers from the ephemeral range, which every outgoing connection of the
// tests running beside this one also draws from: between the close and the real bind, a client socket may take
// the port ("bind: address already in use" under load). Below the ephemeral range only listeners live, so a
// random port there that is free now stays free unless another listener picks the very same one.
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'

function ephemeralStart() {
  try { return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768 } catch { return 32768 }
}

function listenable(port, host) {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen({ port, host }, () => s.close(() => resolve(true)))
  })
}

/** @returns {Promise<number>} */
export async function listenerPort(host = '127.0.0.1') {
  const lo = 10_000
  const hi = ephemeralStart()
  if (hi - lo > 1000) {
    for (let i = 0; i < 50; i++) {
      const port = lo + crypto.randomInt(hi - lo)
      if (await listenable(port, host)) return port
    }
  }
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen({ port: 0, host }, () => { const p = s.address().port; s.close(() => resolve(p)) })
  })
}
