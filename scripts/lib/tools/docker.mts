// docker CLI adapter. Only this file runs `docker`.

import { EXIT, StepError } from '../shell/errors.mts'
import { formatCommand, lastLine, type Runner } from '../shell/run.mts'

/** `hung`: the CLI or the daemon behind it did not answer in time (not the same as missing). */
export interface DockerServer { reachable: boolean; serverVersion?: string; clientVersion?: string; error?: string; hung?: boolean }

export async function dockerServer(r: Runner, step = 'docker'): Promise<DockerServer> {
  const res = await r.run('docker', ['version', '--format', '{{json .}}'], { step, nothrow: true, timeoutMs: 15_000 })
  if (res.timedOut) return { reachable: false, hung: true, error: 'docker version did not answer within 15s' }
  if (res.exitCode === 127) return { reachable: false, error: 'docker CLI not found' }
  let parsed: { Client?: { Version?: string }; Server?: { Version?: string } | null } = {}
  try { parsed = JSON.parse(res.stdout.trim().split('\n')[0] || '{}') } catch { /* client prints plain text on some errors */ }
  const serverVersion = parsed.Server?.Version
  return {
    reachable: res.ok && Boolean(serverVersion),
    serverVersion,
    clientVersion: parsed.Client?.Version,
    error: res.ok ? undefined : (lastLine(res.stderr) || 'docker daemon not reachable'),
  }
}

// ---- containers, networks, exec (cluster layer: registry and kind nodes) ----

export interface PortBinding { containerPort: number; protocol: string; hostIp: string; hostPort: number }

export interface Mount { type: string; name?: string; source?: string; destination: string }

export interface ContainerInfo {
  id: string
  /** without the leading "/" */
  name: string
  /** Config.Image: the reference the container was created from */
  image: string
  running: boolean
  /** State.Status: created, running, exited, ... */
  status: string
  labels: Record<string, string>
  /** HostConfig.PortBindings (kept while the container is stopped, unlike NetworkSettings.Ports) */
  ports: PortBinding[]
  /** names of the Docker networks it is attached to */
  networks: string[]
  /** volumes and binds (the registry's cached images live in one) */
  mounts: Mount[]
  /** State.ExitCode and State.Error (why the daemon could not start it, e.g. a port already allocated) */
  exitCode?: number
  error?: string
  /** HostConfig.RestartPolicy: "always", "unless-stopped", "on-failure:1", "no" */
  restartPolicy?: string
  /** NetworkSettings.Ports of a running container: the host ports really bound (a -p 127.0.0.1::5000 port is picked by docker) */
  livePorts?: PortBinding[]
  /** Config.Env (NAME=value; may hold secrets: compare, never print) */
  env?: string[]
}

/** `always` | `on-failure:1` | `no` ... as `docker run --restart` takes it. Pure. */
export function restartPolicyOf(p: { Name?: string; MaximumRetryCount?: number } | undefined): string {
  const name = p?.Name || 'no'
  return name === 'on-failure' && p?.MaximumRetryCount ? `${name}:${p.MaximumRetryCount}` : name
}

/** Pure: the JSON array `docker inspect` prints, normalized (non-container objects are skipped). */
export function parseContainerInspect(stdout: string): ContainerInfo[] {
  let list: unknown
  try { list = JSON.parse(stdout || '[]') } catch { return [] }
  if (!Array.isArray(list)) return []
  return list.filter((o) => o && typeof o === 'object' && 'State' in o && 'Config' in o).map((o: any): ContainerInfo => {
    const bindings = (o.HostConfig?.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>
    const ports: PortBinding[] = []
    for (const [key, list] of Object.entries(bindings)) {
      const [port, protocol = 'tcp'] = key.split('/')
      for (const b of list ?? []) ports.push({ containerPort: Number(port), protocol, hostIp: b.HostIp || '0.0.0.0', hostPort: Number(b.HostPort || 0) })
    }
    const livePorts: PortBinding[] = []
    for (const [key, list] of Object.entries((o.NetworkSettings?.Ports ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>)) {
      const [port, protocol = 'tcp'] = key.split('/')
      for (const b of list ?? []) livePorts.push({ containerPort: Number(port), protocol, hostIp: b.HostIp || '0.0.0.0', hostPort: Number(b.HostPort || 0) })
    }
    return {
      id: String(o.Id ?? ''),
      name: String(o.Name ?? '').replace(/^\//, ''),
      image: String(o.Config?.Image ?? ''),
      running: Boolean(o.State?.Running),
      status: String(o.State?.Status ?? ''),
      labels: (o.Config?.Labels ?? {}) as Record<string, string>,
      ports,
      networks: Object.keys(o.NetworkSettings?.Networks ?? {}),
      mounts: ((o.Mounts ?? []) as { Type?: string; Name?: string; Source?: string; Destination?: string }[]).map((m) => ({ type: m.Type ?? '', name: m.Name, source: m.Source, destination: m.Destination ?? '' })),
      ...(typeof o.State?.ExitCode === 'number' ? { exitCode: o.State.ExitCode } : {}),
      ...(o.State?.Error ? { error: String(o.State.Error) } : {}),
      restartPolicy: restartPolicyOf(o.HostConfig?.RestartPolicy),
      livePorts,
      env: Array.isArray(o.Config?.Env) ? (o.Config.Env as unknown[]).map(String) : [],
    }
  })
}

/**
 * `docker inspect` of containers by exact name; names that do not exist are left out (docker then exits 1 with
 * "Error: No such object: x" but still prints the others). Read-only.
 */
export async function inspectContainers(r: Runner, names: string[], step = 'docker'): Promise<ContainerInfo[]> {
  if (names.length === 0) return []
  const res = await r.run('docker', ['inspect', '--type', 'container', ...names], { step, nothrow: true, timeoutMs: 30_000 })
  if (!res.ok && (res.timedOut || !/No such (object|container)/i.test(res.stderr))) {
    const command = `docker inspect --type container ${names.join(' ')}`
    if (res.timedOut) throw new StepError({ step, message: `docker inspect did not answer: ${lastLine(res.stderr)}`, command, hint: 'the Docker daemon is not answering: check `docker info`, restart Docker if it hangs too', exitCode: EXIT.timeout })
    throw new StepError({ step, message: `docker inspect failed: ${lastLine(res.stderr) || lastLine(res.stdout) || `exit ${res.exitCode} without a message`}`, command, hint: 'is the Docker daemon running? (npx zx scripts/doctor.mts)', exitCode: EXIT.commandFailed })
  }
  return parseContainerInspect(res.stdout).filter((c) => names.includes(c.name))
}

export async function inspectContainer(r: Runner, name: string, step = 'docker'): Promise<ContainerInfo | undefined> {
  return (await inspectContainers(r, [name], step))[0]
}

export interface ContainerSummary { id: string; name: string; image: string; state: string; labels: Record<string, string> }

/**
 * `docker ps -a --filter ... --format '{{json .}}'`: containers by label (k or k=v), exact name and/or network (also
 * the stopped ones configured on it). Read-only.
 */
export async function listContainers(r: Runner, filter: { label?: string; name?: string; network?: string }, step = 'docker'): Promise<ContainerSummary[]> {
  const args = ['ps', '-a', '--no-trunc', '--format', '{{json .}}']
  if (filter.label) args.push('--filter', `label=${filter.label}`)
  if (filter.name) args.push('--filter', `name=^/${filter.name}$`)
  if (filter.network) args.push('--filter', `network=${filter.network}`)
  const res = await r.run('docker', args, { step, timeoutMs: 30_000 })
  return res.stdout.split('\n').filter((l) => l.trim()).map((l) => {
    const o = JSON.parse(l) as Record<string, string>
    const labels = Object.fromEntries((o.Labels ?? '').split(',').filter(Boolean).map((kv) => { const i = kv.indexOf('='); return [kv.slice(0, i), kv.slice(i + 1)] }))
    return { id: o.ID ?? '', name: (o.Names ?? '').split(',')[0] ?? '', image: o.Image ?? '', state: o.State ?? '', labels }
  })
}

/**
 * `docker run <args>` (args after `run`, e.g. registryRunArgs). Mutating. The daemon creates a named container
 * before it starts it: when the start fails (a port already allocated) the container stays behind in "created"
 * state, and running again would only fail on the name. So that container is removed (it is the one this call
 * created: the name was free, or docker would have refused with a name conflict), and only a failure that created
 * nothing (a flaky image pull) is tried once more. The error carries the daemon's own reason.
 */
/** hint: what to do next, or a function of the daemon's reason (a busy port and a broken bridge need different advice). */
export async function runContainer(r: Runner, args: string[], step = 'docker', hint?: string | ((reason: string) => string), o: { env?: Record<string, string> } = {}): Promise<void> {
  const name = args[args.indexOf('--name') + 1]
  const command = formatCommand('docker', ['run', ...args])
  for (let attempt = 1; ; attempt++) {
    // o.env: values behind `-e NAME` flags (secrets), so they are on no command line
    const res = await r.run('docker', ['run', ...args], { step, mutating: true, timeoutMs: 300_000, nothrow: true, ...(o.env ? { env: o.env } : {}) })
    if (res.ok) return
    const reason = lastLine(res.stderr) || lastLine(res.stdout) || `exit ${res.exitCode}`
    const nameTaken = /Conflict\. The container name/.test(res.stderr)
    const left = name && args.includes('--name') && !nameTaken ? await inspectContainer(r, name, step).catch(() => undefined) : undefined
    let cleaned = ''
    if (left && left.status === 'created') {
      await removeContainer(r, name!, step)
      cleaned = `; the container it left in "created" state was removed`
    }
    if (attempt === 1 && !left && !nameTaken && !res.timedOut) { await new Promise((res2) => setTimeout(res2, 2000)); continue }
    throw new StepError({
      step,
      message: `docker run ${res.timedOut ? reason : `failed: ${reason}`}${cleaned}`,
      command,
      hint: (typeof hint === 'function' ? hint(res.stderr || reason) : hint) ?? 're-run with --verbose for the full docker output',
      exitCode: res.timedOut ? EXIT.timeout : EXIT.commandFailed,
      details: `${res.stdout}\n${res.stderr}`.trim(),
    })
  }
}

export async function startContainer(r: Runner, name: string, step = 'docker'): Promise<void> {
  await r.run('docker', ['start', name], { step, mutating: true, timeoutMs: 60_000 })
}

/**
 * `docker start <name>`, reporting instead of throwing: the daemon's own reason when it refuses (a host port now
 * held by something else, a missing network). Mutating.
 */
export async function tryStartContainer(r: Runner, name: string, step = 'docker'): Promise<{ ok: boolean; error?: string; timedOut?: boolean }> {
  const res = await r.run('docker', ['start', name], { step, mutating: true, timeoutMs: 60_000, nothrow: true })
  if (res.ok) return { ok: true }
  const lines = res.stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('Error: failed to start containers'))
  return { ok: false, error: lines.find((l) => l.includes('Error response from daemon')) ?? lines.at(-1) ?? `exit ${res.exitCode}`, ...(res.timedOut ? { timedOut: true } : {}) }
}

/** The last `tail` lines a container logged (`docker logs --tail`), stdout and stderr together; '' when none. Read-only. */
export async function containerLogs(r: Runner, name: string, tail: number, step = 'docker'): Promise<string> {
  const res = await r.run('docker', ['logs', '--tail', String(tail), name], { step, nothrow: true, timeoutMs: 15_000 })
  return `${res.stdout}${res.stderr}`.trimEnd()
}

/**
 * `docker rm -f` (with `volumes`: `-v`, also its anonymous volumes: the registry image declares
 * /var/lib/registry as one, which plain `rm -f` would leave behind). Already gone counts as removed. Mutating.
 */
export async function removeContainer(r: Runner, name: string, step = 'docker', o: { volumes?: boolean } = {}): Promise<'removed' | 'absent'> {
  const args = ['rm', '-f', ...(o.volumes ? ['-v'] : []), name]
  const res = await r.run('docker', args, { step, mutating: true, timeoutMs: 60_000, nothrow: true })
  if (res.ok) return res.dryRun || res.stdout.trim() ? 'removed' : 'absent'
  if (/No such container/i.test(res.stderr)) return 'absent'
  throw new StepError({ step, message: `docker ${args.join(' ')} failed: ${lastLine(res.stderr)}`, command: `docker ${args.join(' ')}`, hint: 're-run with --verbose', exitCode: EXIT.commandFailed })
}

/** `docker network connect`; "already exists in network" counts as connected. Mutating. */
export async function connectNetwork(r: Runner, network: string, container: string, step = 'docker'): Promise<void> {
  const res = await r.run('docker', ['network', 'connect', network, container], { step, mutating: true, timeoutMs: 30_000, nothrow: true })
  if (!res.ok && !/already exists in network/i.test(res.stderr)) {
    throw new StepError({ step, message: `cannot connect ${container} to the ${network} network: ${res.stderr.trim().split('\n').at(-1) ?? ''}`, command: `docker network connect ${network} ${container}`, hint: 're-run with --verbose', exitCode: EXIT.commandFailed })
  }
}

/**
 * Contents of files inside a running container, concatenated (`docker exec <c> cat f1 f2 ...`), or undefined when
 * any of them does not exist or the container is not running. Read-only.
 */
export async function readContainerFiles(r: Runner, container: string, files: string[], step = 'docker'): Promise<string | undefined> {
  const res = await r.run('docker', ['exec', container, 'cat', ...files], { step, nothrow: true, timeoutMs: 30_000 })
  return res.ok ? res.stdout : undefined
}

/** Write the same content to files inside a running container through stdin, in one exec. Mutating. */
export async function writeContainerFiles(r: Runner, container: string, files: string[], content: string, step = 'docker'): Promise<void> {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const dirs = [...new Set(files.map((f) => f.slice(0, f.lastIndexOf('/')) || '/'))]
  const [first, ...rest] = files
  if (!first) return
  const script = [`mkdir -p ${dirs.map(q).join(' ')}`, `cat > ${q(first)}`, ...rest.map((f) => `cp ${q(first)} ${q(f)}`)].join(' && ')
  await r.run('docker', ['exec', '-i', container, 'sh', '-c', script], { step, mutating: true, input: content, timeoutMs: 30_000 })
}

/** Remove files inside a running container (`docker exec <c> rm -f f...`); missing files are fine. Mutating. */
export async function removeContainerFiles(r: Runner, container: string, files: string[], step = 'docker'): Promise<void> {
  if (!files.length) return
  await r.run('docker', ['exec', container, 'rm', '-f', ...files], { step, mutating: true, timeoutMs: 30_000 })
}

/** The registry container as status shows it: running? which host port serves its 5000/tcp? Never throws. Read-only. */
export async function registryStatus(r: Runner, name: string, step = 'status'): Promise<{ exists: boolean; running: boolean; hostPort?: number; networks: string[]; error?: string }> {
  try {
    const c = await inspectContainer(r, name, step)
    if (!c) return { exists: false, running: false, networks: [] }
    const port = c.ports.find((p) => p.containerPort === 5000 && p.protocol === 'tcp')?.hostPort
    return { exists: true, running: c.running, networks: c.networks, ...(port ? { hostPort: port } : {}) }
  } catch (e) {
    return { exists: false, running: false, networks: [], error: e instanceof Error ? e.message : String(e) }
  }
}

/**
 * `docker exec <container> <argv...>` for a read-only look inside (the pull-through caches' storage and
 * counters); never throws for a failed command, the caller reads exitCode/stderr. Read-only.
 */
export async function execRead(r: Runner, container: string, argv: string[], step = 'docker', timeoutMs = 30_000): Promise<{ ok: boolean; stdout: string; stderr: string; timedOut: boolean }> {
  const res = await r.run('docker', ['exec', container, ...argv], { step, nothrow: true, timeoutMs })
  return { ok: res.ok, stdout: res.stdout, stderr: res.stderr, timedOut: Boolean(res.timedOut) }
}

/**
 * `docker run --rm --network none <args>`: a throwaway container that only reads (a volume mounted :ro) and is
 * gone when it exits; nothing outlives the call, so it is not a mutating call (it also runs under --dry-run).
 */
export async function runThrowaway(r: Runner, args: string[], step = 'docker', timeoutMs = 60_000): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const res = await r.run('docker', ['run', '--rm', '--network', 'none', ...args], { step, nothrow: true, timeoutMs })
  return { ok: res.ok, stdout: res.stdout, stderr: res.stderr }
}

/** `docker volume rm`: already gone counts as removed; a volume still in use is an error. Mutating. */
export async function removeVolume(r: Runner, name: string, step = 'docker'): Promise<'removed' | 'absent'> {
  const res = await r.run('docker', ['volume', 'rm', name], { step, mutating: true, timeoutMs: 60_000, nothrow: true })
  if (res.ok) return 'removed'
  if (/no such volume/i.test(res.stderr)) return 'absent'
  throw new StepError({ step, message: `docker volume rm ${name} failed: ${lastLine(res.stderr)}`, command: `docker volume rm ${name}`, hint: `see docker ps -a --filter volume=${name}`, exitCode: EXIT.commandFailed })
}

/** Names of existing volumes among `names` (`docker volume ls`). Read-only. */
export async function existingVolumes(r: Runner, names: string[], step = 'docker'): Promise<string[]> {
  if (!names.length) return []
  const res = await r.run('docker', ['volume', 'ls', '--format', '{{.Name}}'], { step, timeoutMs: 30_000 })
  const all = new Set(res.stdout.split('\n').map((l) => l.trim()).filter(Boolean))
  return names.filter((n) => all.has(n))
}

// ---- networks (down) ----

export interface NetworkInfo { name: string; exists: boolean; members: string[]; labels: Record<string, string> }

/** `docker network inspect <name>`: attached containers by name. Read-only. */
export async function inspectNetwork(r: Runner, name: string, step = 'docker'): Promise<NetworkInfo> {
  const res = await r.run('docker', ['network', 'inspect', name], { step, nothrow: true, timeoutMs: 30_000 })
  if (!res.ok) {
    if (/not found|No such network/i.test(res.stderr)) return { name, exists: false, members: [], labels: {} }
    throw new StepError({ step, message: `docker network inspect ${name} failed: ${lastLine(res.stderr)}`, command: `docker network inspect ${name}`, hint: 'is the Docker daemon running? (npx zx scripts/doctor.mts)', exitCode: EXIT.commandFailed })
  }
  let list: { Name?: string; Containers?: Record<string, { Name?: string }> | null; Labels?: Record<string, string> | null }[] = []
  try { list = JSON.parse(res.stdout) } catch { /* treated as absent below */ }
  const n = list.find((x) => x.Name === name)
  if (!n) return { name, exists: false, members: [], labels: {} }
  return { name, exists: true, members: Object.values(n.Containers ?? {}).map((c) => c.Name ?? '').filter(Boolean).sort(), labels: n.Labels ?? {} }
}

/** `docker network rm`: already gone counts as removed; a network with members is refused by docker. Mutating. */
export async function removeNetwork(r: Runner, name: string, step = 'docker'): Promise<'removed' | 'absent'> {
  const res = await r.run('docker', ['network', 'rm', name], { step, mutating: true, timeoutMs: 60_000, nothrow: true })
  if (res.ok) return 'removed'
  if (/not found|No such network/i.test(res.stderr)) return 'absent'
  throw new StepError({ step, message: `docker network rm ${name} failed: ${lastLine(res.stderr)}`, command: `docker network rm ${name}`, hint: `see docker network inspect ${name}`, exitCode: EXIT.commandFailed })
}

/** `docker network disconnect`: not connected (or gone) counts as done. Mutating. */
export async function disconnectNetwork(r: Runner, network: string, container: string, step = 'docker'): Promise<'removed' | 'absent'> {
  const res = await r.run('docker', ['network', 'disconnect', network, container], { step, mutating: true, timeoutMs: 30_000, nothrow: true })
  if (res.ok) return 'removed'
  if (/is not connected|not found|No such (container|network)/i.test(res.stderr)) return 'absent'
  throw new StepError({ step, message: `cannot disconnect ${container} from the ${network} network: ${lastLine(res.stderr)}`, command: `docker network disconnect ${network} ${container}`, hint: 're-run with --verbose', exitCode: EXIT.commandFailed })
}

// ---- the demo image (build, push, registry lookup) ----

/**
 * Does the registry already hold this tag? `docker manifest inspect` asks the registry itself (read-only, no pull);
 * --insecure lets it speak plain HTTP to the local registry.
 */
export async function registryHasImage(r: Runner, ref: string, step = 'image'): Promise<boolean> {
  const res = await r.run('docker', ['manifest', 'inspect', '--insecure', ref], { step, nothrow: true, timeoutMs: 30_000 })
  return res.ok
}

/**
 * `docker build ...` from the given (staged) context directory, with whichever builder the CLI picks: BuildKit when
 * buildx is installed, else the legacy builder (forcing DOCKER_BUILDKIT=1 fails without buildx). Mutating.
 */
export async function dockerBuild(r: Runner, args: string[], cwd: string, step = 'image'): Promise<void> {
  await r.run('docker', args, {
    step, mutating: true, cwd, timeoutMs: 20 * 60_000,
    hint: 're-run with --verbose to see the build output; the recipe is apps/demo/Dockerfile (context: the files its Dockerfile.dockerignore lets through)',
  })
}

/** `docker push <ref>`, retried: the registry may still be starting. Mutating. */
export async function dockerPush(r: Runner, ref: string, step = 'image'): Promise<void> {
  await r.run('docker', ['push', ref], {
    step, mutating: true, timeoutMs: 10 * 60_000, retries: 3, retryDelayMs: 1000,
    hint: 'is the local registry running and published on that port? (docker ps --filter label=dev.platform.role=registry)',
  })
}
