// docker calls for the demo image (build, push, registry lookup). A separate adapter file next to docker.mts
// (the cluster layer's) so areas do not edit each other's functions; only the runner spawns.

import type { Runner } from '../run.mts'

/**
 * Does the registry already hold this tag? `docker manifest inspect` asks the registry itself (read-only, no pull);
 * --insecure lets it speak plain HTTP to the local registry.
 */
export async function registryHasImage(r: Runner, ref: string, step = 'image'): Promise<boolean> {
  const res = await r.run('docker', ['manifest', 'inspect', '--insecure', ref], { step, nothrow: true, timeoutMs: 30_000 })
  return res.ok
}

/** `docker build ...` from the given context directory. Mutating (creates an image). */
export async function dockerBuild(r: Runner, args: string[], cwd: string, step = 'image'): Promise<void> {
  await r.run('docker', args, {
    step, mutating: true, cwd, timeoutMs: 20 * 60_000,
    env: { DOCKER_BUILDKIT: '1' },
    hint: 're-run with --verbose to see the build output; the recipe is apps/demo/Dockerfile (context: repository root)',
  })
}

/** `docker push <ref>`, retried: the registry may still be starting. Mutating. */
export async function dockerPush(r: Runner, ref: string, step = 'image'): Promise<void> {
  await r.run('docker', ['push', ref], {
    step, mutating: true, timeoutMs: 10 * 60_000, retries: 3, retryDelayMs: 1000,
    hint: 'is the local registry running and published on that port? (docker ps --filter label=dev.platform.role=registry)',
  })
}

/** The registry container as status shows it: running? which host port serves its 5000/tcp? Read-only. */
export async function registryStatus(r: Runner, name: string, step = 'status'): Promise<{ exists: boolean; running: boolean; hostPort?: number; error?: string }> {
  const res = await r.run('docker', ['inspect', name], { step, nothrow: true, timeoutMs: 15_000 })
  if (!res.ok) return { exists: false, running: false, error: /No such object|No such container/i.test(res.stderr) ? undefined : res.stderr.trim().split('\n').at(-1) }
  try {
    const [c] = JSON.parse(res.stdout) as { State?: { Running?: boolean }; HostConfig?: { PortBindings?: Record<string, { HostPort?: string }[]> } }[]
    const port = c?.HostConfig?.PortBindings?.['5000/tcp']?.[0]?.HostPort
    return { exists: true, running: Boolean(c?.State?.Running), ...(port ? { hostPort: Number(port) } : {}) }
  } catch {
    return { exists: true, running: false, error: 'docker inspect printed something that is not JSON' }
  }
}
