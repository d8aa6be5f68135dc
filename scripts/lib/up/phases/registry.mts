// registry: the local registry container. Created when missing, started when stopped, re-created (and said so)
// when its port or image differ, reused otherwise. A same-name container without our label belongs to someone
// else: reported, never touched.

import { EXIT, StepError } from '../../shell/errors.mts'
import { decideRegistry, REGISTRY_CONTAINER_PORT, registryRunArgs, type RegistryObserved } from '../../cluster/registry-wiring.mts'
import { removeContainer, runContainer, startContainer, type ContainerInfo } from '../../tools/docker.mts'
import { observeClusterLayer, portsOf } from '../../cluster/observe.mts'
import type { Phase, UpContext } from '../types.mts'
import { did } from '../wording.mts'

export function registryObserved(c: ContainerInfo | undefined): RegistryObserved | undefined {
  if (!c) return undefined
  const b = c.ports.find((p) => p.containerPort === REGISTRY_CONTAINER_PORT)
  return { name: c.name, image: c.image, running: c.running, labels: c.labels, ...(b ? { hostPort: b.hostPort, hostIp: b.hostIp } : {}) }
}

/** The error for a same-name container that up did not create (it is never touched), or undefined. */
export function registryClash(ctx: UpContext, c: ContainerInfo | undefined): StepError | undefined {
  const name = ctx.config.registryName
  const d = decideRegistry(registryObserved(c), { name, image: ctx.config.registryImage, port: 0 })
  if (d.action !== 'clash') return undefined
  return new StepError({
    step: 'registry',
    message: d.reason,
    hint: `up never removes containers it did not create: remove or rename it yourself (docker rm -f ${name}), or set REGISTRY_NAME to another name`,
    exitCode: EXIT.precondition,
  })
}

const RUN_HINT = (reason: string): string =>
  /address already in use|port is already allocated/i.test(reason)
    ? 'another process or container took the port after the check; re-run up (it picks a free port) or free it'
    : 'the Docker daemon refused to start it for the reason above: fix that (docker info, the daemon log), then re-run up'

export const registryPhase: Phase = {
  id: 'registry',
  title: 'local registry',
  needs: ['ports'],
  skipWhen: (ctx) => (ctx.config.provider === 'existing' ? 'PLATFORM_PROVIDER=existing uses no local registry' : false),
  async run(ctx) {
    const c = ctx.config
    const wanted = { name: c.registryName, image: c.registryImage, port: portsOf(ctx).registry }
    const obs = await observeClusterLayer(ctx)
    const d = decideRegistry(registryObserved(obs.registry), wanted)
    const where = `127.0.0.1:${wanted.port}`
    let note: string
    switch (d.action) {
      case 'clash':
        throw registryClash(ctx, obs.registry)!
      case 'create':
        await runContainer(ctx.runner, registryRunArgs(wanted), 'registry', RUN_HINT)
        ctx.facts.changed.push('registry created')
        note = did(ctx, `created ${c.registryName} on ${where}`, `would create ${c.registryName} on ${where}`)
        break
      case 'recreate':
        ctx.ui.warn(`re-creating registry ${c.registryName} (${d.reasons.join('; ')}); images pushed to it before are gone, up pushes what it needs again`)
        // with its anonymous volume (the image declares /var/lib/registry one): nothing else would ever remove it
        await removeContainer(ctx.runner, c.registryName, 'registry', { volumes: true })
        await runContainer(ctx.runner, registryRunArgs(wanted), 'registry', RUN_HINT)
        ctx.facts.changed.push('registry re-created')
        note = did(ctx, `re-created ${c.registryName} on ${where}`, `would re-create ${c.registryName} on ${where}`)
        break
      case 'start':
        await startContainer(ctx.runner, c.registryName, 'registry')
        ctx.facts.changed.push('registry started')
        note = did(ctx, `started the stopped ${c.registryName} on ${where}`, `would start the stopped ${c.registryName} on ${where}`)
        ;(ctx.facts.healed ??= []).push(note)
        break
      case 'reuse':
        note = `reused ${c.registryName} on ${where}`
        break
    }
    // Every container this phase accepts carries our label, so up created it (in this run or an earlier one).
    const next = { name: wanted.name, image: wanted.image, port: wanted.port, createdByUs: true }
    if (JSON.stringify(ctx.state.registry) !== JSON.stringify(next)) {
      ctx.state.registry = next
      ctx.saveState()
    }
    return { note }
  },
}
