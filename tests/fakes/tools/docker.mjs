// Fake docker: only the daemon check lives here so far; the cluster-layer tests extend it
// (containers, networks, exec into kind nodes). Daemon down: state.docker.daemon === false.
export const DAEMON_DOWN = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n'

import { loadExtension } from './extension.mjs'

export default async function docker({ argv, state, stdin, env }) {
  state.docker ??= { daemon: true, containers: {}, networks: {} }
  const d = state.docker
  const [cmd] = argv
  if (cmd === 'version') {
    const client = { Version: '28.2.2', ApiVersion: '1.50', Os: 'linux', Arch: 'amd64' }
    if (d.daemon === false) return { code: 1, stdout: `${JSON.stringify({ Client: client, Server: null })}\n`, stderr: DAEMON_DOWN }
    return { code: 0, stdout: `${JSON.stringify({ Client: client, Server: { Version: '28.2.2', ApiVersion: '1.50' } })}\n` }
  }
  if (d.daemon === false) return { code: 1, stderr: DAEMON_DOWN }
  const extra = await loadExtension('docker')
  if (extra) {
    const r = await extra.default({ argv, state, stdin, env })
    if (r) return r
  }
  return { code: 1, stderr: `docker: unknown command: docker ${cmd}\n\nRun 'docker --help' for more information\n` }
}
