// kubectl calls of the network-policy prober (kept apart from kubectl.mts so areas do not collide).
// Every call names --context explicitly.

import type { Runner, RunResult } from '../run.mts'

const STEP = 'netpol'

export async function getAllJson(r: Runner, context: string, resource: 'namespaces' | 'pods' | 'networkpolicies', namespace?: string): Promise<unknown> {
  const scope = namespace ? ['-n', namespace] : ['-A']
  const res = await r.run('kubectl', ['--context', context, 'get', resource, ...scope, '-o', 'json'], {
    step: `${STEP}/read-cluster`,
    timeoutMs: 60_000,
    retries: 2,
    retryDelayMs: 1000,
    hint: `check that the cluster behind context ${context} is reachable (kubectl --context ${context} get nodes)`,
  })
  return JSON.parse(res.stdout) as unknown
}

export interface DebugOptions {
  namespace: string
  pod: string
  container: string
  image: string
  /** file with the container spec fragment kubectl merges in (--custom) */
  customFile: string
}

/** Adds an ephemeral container that idles (agnhost pause) so later execs can probe from the pod's netns. */
export async function addProbeContainer(r: Runner, context: string, o: DebugOptions): Promise<RunResult> {
  return r.run(
    'kubectl',
    ['--context', context, 'debug', '-n', o.namespace, o.pod, `--container=${o.container}`, `--image=${o.image}`, '--image-pull-policy=IfNotPresent', '--profile=restricted', `--custom=${o.customFile}`, '--', '/agnhost', 'pause'],
    { step: `${STEP}/probe-container`, mutating: true, nothrow: true, timeoutMs: 60_000 },
  )
}

export async function execScript(r: Runner, context: string, namespace: string, pod: string, container: string, script: string, timeoutMs: number): Promise<RunResult> {
  return r.run('kubectl', ['--context', context, 'exec', '-n', namespace, pod, '-c', container, '--', 'sh', '-c', script], {
    step: `${STEP}/probe`,
    nothrow: true,
    timeoutMs,
  })
}
