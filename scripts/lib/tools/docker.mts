// docker CLI adapter. Only this file runs `docker`.

import type { Runner } from '../run.mts'

export interface DockerServer { reachable: boolean; serverVersion?: string; clientVersion?: string; error?: string }

export async function dockerServer(r: Runner, step = 'docker'): Promise<DockerServer> {
  const res = await r.run('docker', ['version', '--format', '{{json .}}'], { step, nothrow: true, timeoutMs: 15_000 })
  if (res.exitCode === 127) return { reachable: false, error: 'docker CLI not found' }
  let parsed: { Client?: { Version?: string }; Server?: { Version?: string } | null } = {}
  try { parsed = JSON.parse(res.stdout.trim().split('\n')[0] || '{}') } catch { /* client prints plain text on some errors */ }
  const serverVersion = parsed.Server?.Version
  return {
    reachable: res.ok && Boolean(serverVersion),
    serverVersion,
    clientVersion: parsed.Client?.Version,
    error: res.ok ? undefined : (res.stderr.trim().split('\n').at(-1) ?? 'docker daemon not reachable'),
  }
}
