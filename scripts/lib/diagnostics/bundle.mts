// The diagnostics bundle written when up/sync fails: everything needed to see why, collected best-effort (a dead
// cluster still gets a bundle that says so) into .platform/diagnostics/<timestamp>/, every byte redacted.
//   summary.txt          what failed, the hint, the run's phases, the effective (non-secret) configuration
//   flux-get-all.txt     `flux get all -A`
//   flux-objects.yaml    Kustomizations, HelmReleases and sources as YAML (conditions, revisions)
//   events.txt           every event, oldest first
//   pods.txt             every pod with node and status
//   helm-releases.json   `helm list -A`
//   logs/<ns>_<pod>.log  logs of pods that are not Ready (and their previous container when it restarted)
//   logs/flux-system_<controller>.log  the Flux controllers' logs

import path from 'node:path'
import type { Config } from '../shell/config.mts'
import { KEYS } from '../shell/config.mts'
import { isStepError } from '../shell/errors.mts'
import { redact } from '../shell/redact.mts'
import { writeStateFile } from '../shell/state.mts'
import type { Runner } from '../shell/run.mts'
import { fluxGetAll } from '../tools/flux.mts'
import { helmList } from '../tools/helm.mts'
import { kubectlList, kubectlRead } from '../tools/kubectl.mts'

const CONTROLLERS = ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller']
const FLUX_OBJECTS = 'kustomizations.kustomize.toolkit.fluxcd.io,helmreleases.helm.toolkit.fluxcd.io,ocirepositories.source.toolkit.fluxcd.io,gitrepositories.source.toolkit.fluxcd.io,helmrepositories.source.toolkit.fluxcd.io,helmcharts.source.toolkit.fluxcd.io'

export interface DiagnosticsInput {
  runner: Runner
  config: Config
  context: string
  stateDir: string
  /** the failure that triggered the bundle */
  error: unknown
  /** e.g. the phase table of the run report */
  report?: unknown
  now?: Date
}

const bundleName = (now: Date) => `diagnostics/${now.toISOString().replace(/[:.]/g, '-')}`
export const diagnosticsDir = (stateDir: string, now = new Date()) => path.join(stateDir, bundleName(now))

/** Non-secret configuration, key=value, for the summary. */
export function configSummary(config: Config): string {
  return KEYS.map((k) => `${k.key}=${k.secret ? (config[k.field] ? '***' : '') : JSON.stringify(config[k.field])}`).join('\n')
}

type Obj = Record<string, any>

/** Pods worth a log: not Running+Ready, not Succeeded; with restarts, the previous container's log too. */
export function failingPods(pods: Obj[]): { namespace: string; name: string; previous: boolean; reason: string }[] {
  const out: { namespace: string; name: string; previous: boolean; reason: string }[] = []
  for (const p of pods) {
    const phase = p.status?.phase
    if (phase === 'Succeeded') continue
    const statuses = (p.status?.containerStatuses ?? []) as Obj[]
    const ready = phase === 'Running' && statuses.length > 0 && statuses.every((c) => c.ready)
    const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0)
    if (ready && restarts === 0) continue
    const waiting = statuses.map((c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason).find(Boolean)
    out.push({ namespace: p.metadata?.namespace, name: p.metadata?.name, previous: restarts > 0, reason: waiting ?? phase ?? 'not ready' })
  }
  return out
}

async function limited<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items]
  await Promise.all(Array.from({ length: Math.min(n, queue.length) }, async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t)
  }))
}

/** Write the bundle; returns its directory. Never throws for collection problems (they go into the files). */
export async function writeDiagnostics(input: DiagnosticsInput): Promise<string> {
  const { runner: r, context } = input
  const now = input.now ?? new Date()
  const dir = diagnosticsDir(input.stateDir, now)
  // every file goes through the state dir's journal, so down removes the bundle (and only the bundle)
  const write = (name: string, text: string) => {
    writeStateFile(input.stateDir, `${bundleName(now)}/${name.split(path.sep).join('/')}`, redact(text.endsWith('\n') ? text : `${text}\n`))
  }
  const step = 'diagnostics'

  const e = input.error
  const failure = isStepError(e)
    ? [`step: ${e.step}`, `error: ${e.message}`, e.hint ? `hint: ${e.hint}` : '', e.command ? `command: ${e.command}` : '', e.details ? `\ndetails:\n${e.details}` : ''].filter(Boolean).join('\n')
    : `error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`
  write('summary.txt', [
    `written: ${now.toISOString()}`,
    `kube context: ${context}`,
    '',
    failure,
    '',
    input.report ? `run report:\n${JSON.stringify(input.report, null, 2)}\n` : '',
    'configuration:',
    configSummary(input.config),
  ].join('\n'))

  const tasks: Promise<void>[] = [
    fluxGetAll(r, context, step).then((x) => write('flux-get-all.txt', x.text || '(no output)')),
    kubectlRead(r, context, ['get', FLUX_OBJECTS, '--all-namespaces', '-o', 'yaml'], step).then((x) => write('flux-objects.yaml', x.text)),
    kubectlRead(r, context, ['get', 'events', '--all-namespaces', '--sort-by=.lastTimestamp'], step).then((x) => write('events.txt', x.text || 'no events')),
    kubectlRead(r, context, ['get', 'pods', '--all-namespaces', '-o', 'wide'], step).then((x) => write('pods.txt', x.text || 'no pods')),
    helmList(r, context, step).then((x) => write('helm-releases.json', x.ok ? JSON.stringify(x.releases, null, 2) : x.error)),
    limited(CONTROLLERS, 2, async (c) => {
      const x = await kubectlRead(r, context, ['logs', '-n', 'flux-system', `deployment/${c}`, '--tail=300', '--all-containers'], step)
      if (x.ok || !/not found/i.test(x.text)) write(path.join('logs', `flux-system_${c}.log`), x.text)
    }),
    kubectlList(r, context, ['pods', '--all-namespaces'], step).then(async (pods) => {
      const bad = failingPods(pods.items).slice(0, 20)
      write('failing-pods.txt', bad.length ? bad.map((p) => `${p.namespace}/${p.name}: ${p.reason}`).join('\n') : pods.error || 'none')
      await limited(bad, 3, async (p) => {
        const cur = await kubectlRead(r, context, ['logs', '-n', p.namespace, p.name, '--all-containers', '--tail=200'], step)
        const prev = p.previous ? await kubectlRead(r, context, ['logs', '-n', p.namespace, p.name, '--all-containers', '--previous', '--tail=200'], step) : undefined
        write(path.join('logs', `${p.namespace}_${p.name}.log`), `${cur.text}${prev ? `\n--- previous container ---\n${prev.text}` : ''}`)
      })
    }),
  ]
  await Promise.allSettled(tasks)
  return dir
}
