#!/usr/bin/env zx
// status: one screen with the cluster, the registry and its pull-through caches (size, hits), every Flux object (Ready, age, message), Helm releases,
// the demo app per environment (ready replicas, image tag, the apps artifact digest it runs and whether it is
// behind dev), its HPA (replicas, CPU vs target) and the URLs.
// Read-only. Exit 0 when everything is Ready, 1 when something is not (so CI can gate on it).
import { printJson, runCommand } from './lib/shell/cli.mts'
import { EXIT } from './lib/shell/errors.mts'
import { readState } from './lib/shell/state.mts'
import type { StatusModel } from './lib/status/model.mts'

const FLUX_KINDS = 'kustomizations.kustomize.toolkit.fluxcd.io,helmreleases.helm.toolkit.fluxcd.io,ocirepositories.source.toolkit.fluxcd.io,gitrepositories.source.toolkit.fluxcd.io,helmrepositories.source.toolkit.fluxcd.io'

await runCommand({
  name: 'status',
  summary: 'show the platform at a glance: cluster, registry, Flux objects, Helm releases, apps, HPAs, URLs',
  without: ['dry-run'],
  examples: ['npx zx scripts/status.mts', 'npx zx scripts/status.mts --json | jq .apps'],
  async run(ctx) {
    // loaded here, not at the top: --help needs none of it
    const [{ appRow, artifactRows, fluxRows, healthy, hpaRow, renderStatus }, { helmList }, { kubectlGetJson, kubectlList, kubectlRead }, { listContainers, registryStatus }, { rememberedPorts }, { endpoints, summaryLines }, { existingCaFile }, { healView }, { kindNetwork }, { mirrorRows }] = await Promise.all([
      import('./lib/status/model.mts'), import('./lib/tools/helm.mts'), import('./lib/tools/kubectl.mts'), import('./lib/tools/docker.mts'), import('./lib/up/context.mts'), import('./lib/up/summary.mts'), import('./lib/tls/ca.mts'),
      import('./lib/heal/status.mts'), import('./lib/up/phases/wiring.mts'), import('./lib/mirrors/status.mts'),
    ])
    const c = ctx.config
    const context = c.kubeContext
    const r = ctx.runner
    const state = readState(ctx.stateDir)
    const ports = rememberedPorts(c, state)
    const kind = c.provider === 'kind'
    const [nodes, version, flux, helm, registry, deployments, hpas, nodeContainers, mirrors] = await Promise.all([
      kubectlGetJson<{ items: Record<string, any>[] }>(r, context, ['nodes'], 'status', 15_000),
      kubectlRead(r, context, ['version', '-o', 'json'], 'status', 15_000),
      kubectlList(r, context, [FLUX_KINDS, '--all-namespaces'], 'status'),
      helmList(r, context, 'status'),
      c.provider === 'kind' ? registryStatus(r, c.registryName) : Promise.resolve(undefined),
      kubectlList(r, context, ['deployments', '--all-namespaces', '-l', 'app.kubernetes.io/name=demo'], 'status'),
      kubectlList(r, context, ['hpa', '--all-namespaces'], 'status'),
      // the node containers as Docker sees them (kind labels them): stopped ones are what up heals
      kind ? listContainers(r, { label: `io.x-k8s.kind.cluster=${c.clusterName}` }, 'status').catch(() => []) : Promise.resolve([]),
      kind ? mirrorRows(r, c) : Promise.resolve(undefined),
    ])
    const network = kindNetwork()
    const readiness = nodes.ok ? (nodes.data?.items ?? []).map((n) => ({ name: String(n.metadata?.name ?? ''), ready: String((n.status?.conditions ?? []).find((x: any) => x.type === 'Ready')?.status ?? 'Unknown') })) : undefined
    const readyNodes = (nodes.data?.items ?? []).filter((n) => (n.status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True')).length
    const now = Date.now()
    const fluxManaged = new Set(flux.items.filter((o) => o.kind === 'HelmRelease').map((o) => `${o.spec?.targetNamespace ?? o.metadata.namespace}/${o.spec?.releaseName ?? o.metadata.name}`))
    const model: StatusModel = {
      context,
      cluster: { reachable: nodes.ok, nodes: `${readyNodes}/${nodes.data?.items?.length ?? 0}`, ...(nodes.ok ? {} : { error: nodes.error }) },
      ...(registry ? { registry: { name: c.registryName, running: registry.running, ...(registry.hostPort ? { hostPort: registry.hostPort } : {}), ...(registry.exists ? { network, attached: registry.networks.includes(network) } : { note: 'no such container (run up)' }) } } : {}),
      ...(kind && nodeContainers.length ? { heal: healView({ containers: nodeContainers.map((x) => ({ name: x.name, state: x.state })), readiness, registry: registry ? { name: c.registryName, ...registry } : undefined, network }) } : {}),
      ...(mirrors?.rows.length ? { mirrors: mirrors.rows } : {}),
      flux: fluxRows(flux.items, now),
      // releases Flux owns are listed with the Flux objects already
      helm: helm.releases.filter((h) => !fluxManaged.has(`${h.namespace}/${h.name}`) || c.fluxMode === 'none').map((h) => ({ name: h.name, namespace: h.namespace, chart: h.chart, status: h.status })),
      apps: c.environments.map((env) => appRow(env, deployments.items.find((d) => d.metadata.namespace === `demo-${env}` && d.metadata.name === 'demo'))),
      hpa: c.environments.map((env) => hpaRow(env, hpas.items.find((h) => h.metadata.namespace === `demo-${env}` && h.metadata.name === 'demo'))).filter((x) => x !== undefined),
      endpoints: summaryLines(endpoints(c, ports, ctx.stateDir, existingCaFile(ctx.stateDir)), ctx.root),
      ...(c.fluxMode === 'oci' ? { artifacts: artifactRows(flux.items.filter((o) => o.kind === 'Kustomization' && o.metadata.namespace === 'flux-system'), c.environments) } : {}),
    }
    try {
      const v = (JSON.parse(version.text) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion
      if (v) model.cluster.version = v
    } catch { /* unreachable cluster: no server version */ }
    const ok = healthy(model)
    if (ctx.json) printJson({ ok, ...model })
    else process.stdout.write(`${renderStatus(model)}\n\n${ok ? 'everything is Ready' : 'NOT everything is Ready (see above; `npx zx scripts/up.mts` converges it)'}\n`)
    return ok ? EXIT.ok : EXIT.checkFailed
  },
})
