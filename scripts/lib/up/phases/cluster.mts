// cluster: the kind cluster (created when no cluster has exactly this name; re-created only on request when it
// differs in a way that cannot change in place), or, with PLATFORM_PROVIDER=existing, the given kube context
// checked for existence and reachability. Sets facts.context and facts.nodes.

import path from 'node:path'
import { diffCluster } from '../../cluster/diff.mts'
import type { Config } from '../../shell/config.mts'
import { EXIT, StepError } from '../../shell/errors.mts'
import { nodeNames, readKindConfigBase, renderKindConfig, type EffectiveKindConfig } from '../../cluster/kind-config.mts'
import { ingressPortDrift, planPorts } from '../../cluster/port-plan.mts'
import { probePort } from '../../shell/ports.mts'
import { canPrompt, confirm } from '../../shell/prompt.mts'
import { redact } from '../../shell/redact.mts'
import { timedOutAfter, withMargin } from '../../shell/run.mts'
import { writeStateFile } from '../../shell/state.mts'
import { kindClusters, kindCreateCluster, kindDeleteCluster, kindExportKubeconfig, kindNodes } from '../../tools/kind.mts'
import { contextReachable, kubeContexts } from '../../tools/kubectl.mts'
import { inspectNetwork } from '../../tools/docker.mts'
import { kindNetwork } from './wiring.mts'
import { observeClusterLayer, portPlanOf, portsOf } from '../../cluster/observe.mts'
import type { Phase, UpContext } from '../types.mts'
import type { StepHandle } from '../../shell/ui.mts'
import { healCluster } from '../../heal/heal.mts'
import { did } from '../wording.mts'

const KIND_CONFIG_FILE = 'kind-config.yaml'
export const effectiveConfigFile = (ctx: UpContext) => path.join(ctx.stateDir, KIND_CONFIG_FILE)

function render(ctx: UpContext): EffectiveKindConfig {
  const c = ctx.config
  const p = portsOf(ctx)
  return renderKindConfig(readKindConfigBase(ctx.root), { name: c.clusterName, workers: c.workers, nodeImage: c.nodeImage, httpPort: p.http, httpsPort: p.https })
}

/**
 * kind's first ERROR line (or the last line) of a failed create. When the Docker daemon refused a node (a busy host
 * port), its own reason from kind's "Command Output" says more than the ERROR line, which ends "exit status 125".
 */
export function kindFailureLine(output: string): string {
  const all = output.split('\n').map((l) => l.trim()).filter(Boolean)
  const error = all.find((l) => l.startsWith('ERROR:'))
  const daemon = all.find((l) => l.includes('Error response from daemon:'))
  if (daemon) {
    const node = /command "docker run --name (\S+)/.exec(error ?? '')?.[1]
    return `${node ? `docker run of node ${node} failed: ` : ''}${daemon.slice(daemon.indexOf('Error response from daemon:'))}`
  }
  return error ?? all.at(-1) ?? 'no output'
}

/**
 * Did this `kind create` start nodes of its own? Not when kind refused because nodes of that name already
 * existed: those belong to another run (or another checkout), and a failed create must never delete them.
 */
export function startedNodes(output: string): boolean {
  return !/node\(s\) already exist for a cluster with the name/.test(output)
}

async function create(ctx: UpContext, eff: EffectiveKindConfig): Promise<void> {
  const c = ctx.config
  const file = effectiveConfigFile(ctx)
  // Nothing may claim a cluster that is not (yet) there: state says "cluster" only after kind succeeded.
  if (ctx.state.cluster?.name === c.clusterName) {
    delete ctx.state.cluster
    ctx.saveState()
  }
  if (!ctx.dryRun) writeStateFile(ctx.stateDir, KIND_CONFIG_FILE, eff.text)
  // kind creates its docker network on first use and shares it between clusters; down removes it only if it
  // appeared with our cluster (and nothing else uses it). Recorded once it has: a re-create keeps the answer.
  const network = kindNetwork()
  const networkExisted = (await inspectNetwork(ctx.runner, network, 'cluster')).exists
  ctx.ui.info(`creating kind cluster "${c.clusterName}" (1 control-plane + ${c.workers} workers, ${c.nodeImage.split('@')[0]}); this takes a few minutes on the first run`)
  const res = await kindCreateCluster(ctx.runner, { name: c.clusterName, configFile: file, waitMs: c.clusterTimeoutMs, timeoutMs: withMargin(c.clusterTimeoutMs) }, 'cluster')
  if (res.ok) {
    const createdByUs = !networkExisted || (ctx.state.network?.name === network && ctx.state.network.createdByUs)
    ctx.state.network = { name: network, createdByUs }
    ctx.saveState()
    return
  }
  const timedOut = res.timedOut === true
  const output = `${res.stdout}\n${res.stderr}`
  let cleaned = ''
  if (startedNodes(output)) {
    // kind removes the nodes of a failed create itself (unless --retain); make sure, so no half cluster remains.
    try {
      if ((await kindClusters(ctx.runner, 'cluster')).includes(c.clusterName)) {
        await kindDeleteCluster(ctx.runner, c.clusterName, 'cluster')
        cleaned = '; the partial cluster was deleted'
      }
    } catch { /* the original failure matters more */ }
  } else {
    cleaned = `; kind cluster "${c.clusterName}" was created by someone else meanwhile (another up, or another checkout with the same CLUSTER_NAME) and is left alone`
  }
  throw new StepError({
    step: 'cluster',
    message: timedOut
      ? `kind create cluster ${timedOutAfter(withMargin(c.clusterTimeoutMs))} (CLUSTER_TIMEOUT ${c.clusterTimeoutMs / 1000}s plus margin)${cleaned}`
      : `kind create cluster failed: ${redact(kindFailureLine(`${res.stdout}\n${res.stderr}`))}${cleaned}`,
    command: `kind create cluster --name ${c.clusterName} --config ${file}`,
    hint: `${timedOut ? 'raise CLUSTER_TIMEOUT if the node image is still being pulled; otherwise ' : ''}re-run with --verbose for kind's output; to debug, keep the nodes: kind create cluster --retain --name ${c.clusterName} --config ${file}, then kind export logs --name ${c.clusterName} (and kind delete cluster --name ${c.clusterName} afterwards)`,
    exitCode: timedOut ? EXIT.timeout : EXIT.commandFailed,
    details: redact(`${res.stdout}\n${res.stderr}`.trim()),
  })
}

/** After deleting a cluster its ingress mappings are free again: plan them anew (the registry port stays). */
async function replanIngressPorts(ctx: UpContext): Promise<void> {
  const c = ctx.config
  const prev = portsOf(ctx)
  const s = ctx.state.ports
  const plan = await planPorts({
    configured: { registry: c.registryPort, http: c.ingressHttpPort, https: c.ingressHttpsPort },
    remembered: s ? { registry: s.registry, http: s.http, https: s.https } : undefined,
    rememberedFor: s?.requested,
    ours: { registry: prev.registry },
    policy: c.portPolicy,
    span: c.portSearchSpan,
    platform: process.platform,
    probe: (p) => (p === prev.registry ? Promise.resolve('free' as const) : probePort(p)),
  })
  for (const d of plan.decisions) if (d.key !== 'registry' && d.message) ctx.ui.warn(d.message)
  ctx.facts.ports = { ...prev, http: plan.ports.http, https: plan.ports.https }
  ctx.state.ports = { ...ctx.facts.ports, requested: { registry: c.registryPort, http: c.ingressHttpPort, https: c.ingressHttpsPort } }
  ctx.saveState()
}

/** Should a differing cluster be deleted and created again? Only on request; never silently. */
async function wantRecreate(ctx: UpContext, name: string): Promise<boolean> {
  const question = { step: 'cluster', message: `delete kind cluster "${name}" and create it again? Everything in it is lost`, flag: '--yes' }
  if (ctx.flags.recreate) return ctx.flags.yes || ctx.dryRun || ctx.ui.pause(() => confirm(question))
  if (canPrompt() && !ctx.json) return ctx.ui.pause(() => confirm(question))
  return false
}

async function ensureContext(ctx: UpContext, name: string, context: string): Promise<void> {
  if ((await kubeContexts(ctx.runner, 'cluster')).includes(context)) return
  ctx.ui.info(`kube context ${context} is missing from your kubeconfig; exporting it from kind`)
  await kindExportKubeconfig(ctx.runner, name, 'cluster')
  ctx.facts.changed.push('kube context exported')
}

/** Delete the cluster and create it again (the caller asked first). */
async function recreate(ctx: UpContext, name: string): Promise<EffectiveKindConfig> {
  ctx.ui.warn(`deleting kind cluster "${name}" to create it again`)
  await kindDeleteCluster(ctx.runner, name, 'cluster')
  delete ctx.state.cluster
  ctx.saveState()
  ctx.facts.changed.push('cluster deleted')
  await replanIngressPorts(ctx)
  const eff = render(ctx)
  await create(ctx, eff)
  return eff
}

async function kindCluster(ctx: UpContext, step?: StepHandle) {
  const c = ctx.config
  const name = c.clusterName
  const context = `kind-${name}`
  const obs = await observeClusterLayer(ctx)
  let eff = render(ctx)
  let createdNow = false
  let note: string

  if (!obs.clusterExists) {
    await create(ctx, eff)
    createdNow = true
    note = did(ctx, `created ${name} (${c.workers} workers)`, `would create ${name} (${c.workers} workers)`)
  } else {
    const plan = portPlanOf(ctx)
    const diff = diffCluster(obs.nodes, {
      workers: c.workers,
      nodeImage: c.nodeImage,
      recordedHash: ctx.state.cluster?.name === name ? ctx.state.cluster.configHash : undefined,
      currentHash: eff.hash,
      portDrift: plan ? ingressPortDrift(plan) : [],
    })
    if (diff.length) {
      ctx.ui.warn(`kind cluster "${name}" differs from the desired config:\n${diff.map((d) => `    - ${d}`).join('\n')}`)
      if (await wantRecreate(ctx, name)) {
        eff = await recreate(ctx, name)
        createdNow = true
        note = did(ctx, 're-created', 'would re-create') + ` ${name} (${diff.length} difference${diff.length === 1 ? '' : 's'})`
      } else {
        ctx.ui.warn(`keeping the existing cluster; to apply the differences: npx zx scripts/up.mts --recreate --yes`)
        note = `kept ${name} (differs: ${diff.length}; --recreate to apply)`
      }
    } else {
      note = `reused ${name}`
    }
  }

  if (!createdNow) {
    // a kept cluster may have stopped (a reboot, a Docker restart): start its nodes and wait until they are Ready
    const healed = await healCluster(ctx, { cluster: name, context, nodes: obs.nodes, step, beforeWait: () => ensureContext(ctx, name, context) })
    // under --dry-run the list says what a real run would change
    if (healed.started.length) ctx.facts.changed.push('cluster nodes started')
    if (ctx.dryRun && healed.started.length) ctx.facts.wouldStart = healed.started
    if (healed.line) {
      note += `; ${healed.line}`
      ctx.facts.healed ??= []
      ctx.facts.healed.push(healed.line)
    }
    if (!healed.ok) {
      ctx.ui.warn(`kind cluster "${name}": not every node came back:\n${healed.error!.details}`)
      if (!ctx.flags.recreate || !(await wantRecreate(ctx, name))) throw healed.error!
      eff = await recreate(ctx, name)
      createdNow = true
      note = `re-created ${name} (${healed.notBack!.map((n) => n.name).join(', ')} did not come back)`
    }
  }
  ctx.facts.clusterCreated = createdNow

  if (createdNow) {
    ctx.facts.changed.push('cluster created')
    ctx.facts.summary.push(`kind made ${context} your current kube context; every command of this suite passes --context explicitly`)
  }
  // (a kept cluster's context was checked by the heal, once its control plane ran)
  if (createdNow ? !ctx.dryRun : ctx.dryRun) await ensureContext(ctx, name, context)
  const nodes = createdNow ? await kindNodes(ctx.runner, name, 'cluster') : obs.nodeNames
  ctx.facts.nodes = ctx.dryRun && nodes.length === 0 ? nodeNames(name, eff.nodes) : nodes
  ctx.facts.context = context
  // a stopped cluster under --dry-run stays stopped: the plan said what would start
  const stillStopped = ctx.dryRun && obs.nodes.some((n) => !n.running)
  // the heal already saw a kept cluster's API server answer
  const healChecked = !createdNow && !ctx.dryRun
  if (!(ctx.dryRun && createdNow) && !stillStopped && !healChecked) await checkReachable(ctx, context, `kind cluster "${name}"`, `docker start ${ctx.facts.nodes.join(' ')} (if its nodes are stopped), or re-create it: npx zx scripts/up.mts --recreate --yes`)

  const createdByUs = createdNow || (ctx.state.cluster?.name === name && ctx.state.cluster.createdByUs)
  // The hash recorded is the one the cluster was created with; a kept, differing cluster keeps its old one.
  const configHash = createdNow ? eff.hash : ctx.state.cluster?.name === name ? ctx.state.cluster.configHash : undefined
  setClusterState(ctx, { name, context, createdByUs, ...(configHash ? { configHash } : {}) }, c)
  ctx.facts.summary.push(`cluster: kubectl --context ${context} get nodes`)
  return { note }
}

function setClusterState(ctx: UpContext, cluster: NonNullable<UpContext['state']['cluster']>, c: Config): void {
  const before = JSON.stringify([ctx.state.cluster, ctx.state.clusterName, ctx.state.provider])
  ctx.state.cluster = cluster
  ctx.state.clusterName = c.clusterName
  ctx.state.provider = c.provider
  if (JSON.stringify([ctx.state.cluster, ctx.state.clusterName, ctx.state.provider]) !== before) ctx.saveState()
}

async function checkReachable(ctx: UpContext, context: string, what: string, hint: string): Promise<void> {
  const r = await contextReachable(ctx.runner, context, 'cluster')
  if (!r.ok) {
    throw new StepError({ step: 'cluster', message: `${what}: kube context "${context}" is not reachable: ${r.error}`, hint, exitCode: EXIT.precondition })
  }
}

async function existingCluster(ctx: UpContext) {
  const context = ctx.config.kubeContext
  const contexts = await kubeContexts(ctx.runner, 'cluster')
  if (!contexts.includes(context)) {
    throw new StepError({
      step: 'cluster',
      message: `kube context "${context}" (KUBE_CONTEXT) does not exist in your kubeconfig`,
      hint: contexts.length ? `set KUBE_CONTEXT to one of: ${contexts.join(', ')}` : 'no contexts at all: check KUBECONFIG',
      exitCode: EXIT.precondition,
    })
  }
  await checkReachable(ctx, context, 'existing cluster', `check the cluster, VPN and credentials: kubectl --context ${context} cluster-info`)
  ctx.facts.context = context
  // Not ours: down must never delete it (it only removes what up installed into it).
  const prev = ctx.state.cluster
  const next = { name: context, context, createdByUs: false }
  if (JSON.stringify(prev) !== JSON.stringify(next) || ctx.state.provider !== 'existing') {
    ctx.state.cluster = next
    ctx.state.provider = 'existing'
    ctx.saveState()
  }
  return { note: `using existing context ${context}` }
}

export const clusterPhase: Phase = {
  id: 'cluster',
  title: 'kubernetes cluster',
  needs: ['ports'],
  run: (ctx, step) => (ctx.config.provider === 'existing' ? existingCluster(ctx) : kindCluster(ctx, step)),
}
