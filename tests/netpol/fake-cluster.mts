// A fake cluster for probe tests: the bench topology (x/y/z x a/b/c, 10 policies) plus kube-dns, as the
// state of the fake kubectl (tests/fakes). `inProcessRunner` drives the SAME fake kubectl module without
// spawning processes, so many probe scenarios stay fast; the CLI tests use the real fake binary.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseAllDocuments } from 'yaml'
import { StepError } from '../../scripts/lib/shell/errors.mts'
import type { Runner, RunResult } from '../../scripts/lib/shell/run.mts'
import { REPO } from '../helpers/fakes.mts'

export const CONTEXT = 'kind-platform'
export const FIXTURE = path.join(REPO, 'tests', 'fixtures', 'netpol', 'bench-9pods.yaml')

export function clusterObjects(): any[] {
  const objs = parseAllDocuments(fs.readFileSync(FIXTURE, 'utf8')).map((d) => d.toJS()).filter(Boolean)
  for (const o of objs) if (o.kind === 'Pod') o.status = { ...o.status, phase: 'Running' }
  objs.push(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: 'kube-system', name: 'coredns-1', labels: { 'k8s-app': 'kube-dns' } },
      spec: { containers: [{ name: 'coredns', ports: [{ containerPort: 53, protocol: 'UDP', name: 'dns' }, { containerPort: 53, protocol: 'TCP', name: 'dns-tcp' }] }] },
      status: { phase: 'Running', podIP: '10.0.9.9' },
    },
    // a pending pod in scope: reported as skipped, never probed
    { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'x', name: 'pending' }, status: { phase: 'Pending' } },
  )
  return objs
}

export function clusterState(netpol: Record<string, unknown> = {}): Record<string, any> {
  return { kube: { currentContext: CONTEXT, contexts: { [CONTEXT]: {} }, objects: { [CONTEXT]: clusterObjects() } }, netpol }
}

export interface InProcess {
  runner: Runner
  state: Record<string, any>
  /** argv of every kubectl call, in order */
  calls: string[][]
  /** make the next call whose joined argv contains `match` fail once */
  failOnce(match: string, stderr: string): void
  cleanup(): void
}

export function inProcessRunner(state: Record<string, any>): InProcess {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netpol-fake-'))
  const calls: string[][] = []
  const faults: { match: string; stderr: string }[] = []
  const modPath = path.join(REPO, 'tests', 'fakes', 'tools', 'kubectl.mjs')
  const runner: Runner = {
    dryRun: false,
    verbose: false,
    planned: [],
    aborted: false,
    async run(bin, args, opts): Promise<RunResult> {
      if (bin !== 'kubectl') throw new Error(`unexpected ${bin}`)
      calls.push([...args])
      const fault = faults.findIndex((f) => args.join(' ').includes(f.match))
      let r: { code?: number; stdout?: string; stderr?: string }
      if (fault !== -1) {
        r = { code: 1, stderr: faults[fault]?.stderr ?? '' }
        faults.splice(fault, 1)
      } else {
        const kubectl = (await import(modPath)) as { default: (a: unknown) => Promise<typeof r> }
        r = await kubectl.default({ argv: [...args], state, stdin: '', env: { ...process.env, ...opts.env }, dir })
      }
      const exitCode = r.code ?? 0
      const res: RunResult = { stdout: r.stdout ?? '', stderr: r.stderr ?? '', exitCode, ok: exitCode === 0, dryRun: false, durationMs: 0 }
      if (!res.ok && !opts.nothrow) throw new StepError({ step: opts.step, message: `kubectl failed: ${res.stderr.trim()}` })
      return res
    },
    start() {
      throw new Error('not used')
    },
    async killAll() {},
    abort() {},
  }
  return {
    runner,
    state,
    calls,
    failOnce: (match, stderr) => faults.push({ match, stderr }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  }
}

export const isExec = (argv: string[]): boolean => argv.includes('exec')
export const isDebug = (argv: string[]): boolean => argv.includes('debug')
