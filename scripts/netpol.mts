#!/usr/bin/env zx
// netpol: what NetworkPolicies should allow (offline, from manifests) and what the cluster actually does (probes).
import fs from 'node:fs'
import path from 'node:path'
import { runCommand, type FlagValues } from './lib/shell/cli.mts'
import { EXIT, StepError } from './lib/shell/errors.mts'
import { DEFAULT_PROBE_IMAGE, FORMATS, type Format } from './lib/netpol/flags.mts'

interface Flags extends FlagValues {
  offline?: string[]
  repo: boolean
  assert?: string
  format: string
  reporter: string | undefined
  output?: string
  namespace?: string[]
  'all-namespaces': boolean
  external?: string[]
  dns: boolean
  timeout: number
  deadline: number
  interval: number
  concurrency: number
  rounds?: number
  'ready-timeout': number
  'probe-image': string
}

await runCommand<Flags>({
  name: 'netpol',
  summary: 'check network policies: expected connectivity from manifests (--offline) or probed in the cluster',
  usage: '[--offline <path>... | --repo] [--assert <file>] [--format human|json|junit|tap] [--output <file>] [<path>...]',
  positionals: { name: '<path>', max: Infinity },
  description: `
Offline (no cluster): --offline <path> reads a YAML file or a directory (recursively, *.yaml/*.yml) of
Namespaces, Pods, NetworkPolicies and workloads (Deployment/StatefulSet/DaemonSet/ReplicaSet/Job/CronJob,
each shown as ONE representative pod named after it). A directory holding a kustomization.yaml is rendered
with \`kubectl kustomize\` instead, also when found while walking a directory (unless another kustomization in
the same walk uses it as a base). --repo renders this repository's apps/ and infrastructure/ (so
apps/overlays/<env> with their policies). Output: one cell per ordered pair of pods and declared port of
the destination; --format json prints {"cells":[{"from","to","port","protocol","allowed"}]}.

Live (default without --offline/--repo): reads namespaces, pods and policies from the cluster (kube context
from config), adds an idle ephemeral container (pinned agnhost image, restricted profile) to every source
pod once, then probes each round with ONE kubectl exec per source pod that tests all its targets at once
(pod IPs on every declared port, DNS via kube-dns, --external targets). Mismatches are re-probed until they
agree or --deadline passes (policies take a moment to be programmed). Exit 0 iff observed == expected.

--assert <file> checks user assertions (see ${path.join('apps', 'netpol-assertions.yaml')}) against the
expectation, in both modes; any failing assertion exits 1.`,
  flags: {
    offline: { type: 'string', multiple: true, value: '<path>', description: 'compute from manifests (file or directory; repeatable); positional paths are added' },
    repo: { type: 'boolean', description: "offline: render and check this repository's apps/ and infrastructure/" },
    assert: { type: 'string', value: '<file>', description: 'check the assertions in this file (e.g. apps/netpol-assertions.yaml)' },
    format: { type: 'string', value: '<name>', choices: FORMATS, default: 'human', description: 'report format' },
    reporter: { type: 'string', value: '<name>', choices: FORMATS, description: 'same as --format (the name smoke uses)' },
    output: { type: 'string', value: '<file>', description: 'write the report to this file instead of stdout' },
    namespace: { type: 'string', multiple: true, alias: 'n', value: '<ns>', description: 'only pods in these namespaces (repeatable/comma list); live default: demo-<env> of ENVIRONMENTS' },
    'all-namespaces': { type: 'boolean', description: 'live: probe pods in every namespace' },
    external: { type: 'string', multiple: true, value: '<host:port[/PROTO]>', description: 'also check egress to this IP or DNS name outside the cluster (repeatable)' },
    dns: { type: 'boolean', description: 'offline: also check name resolution through kube-dns (always on when probing)' },
    timeout: { type: 'number', value: '<seconds>', default: 2, min: 1, max: 3600, description: 'live: per-probe timeout' },
    deadline: { type: 'number', value: '<seconds>', default: 60, min: 0, max: 86_400, description: 'live: keep re-probing mismatches this long' },
    interval: { type: 'number', value: '<seconds>', default: 2, min: 0, max: 3600, description: 'live: pause between rounds' },
    concurrency: { type: 'number', value: '<n>', default: 4, integer: true, min: 1, max: 64, description: 'live: kubectl exec calls in flight' },
    rounds: { type: 'number', value: '<n>', integer: true, min: 1, max: 10_000, description: 'live: at most this many probe rounds' },
    'ready-timeout': { type: 'number', value: '<seconds>', default: 120, min: 0, max: 86_400, description: 'live: how long a new probe container may take to start (image pull included)' },
    'probe-image': { type: 'string', value: '<image>', default: DEFAULT_PROBE_IMAGE, description: 'live: image of the probe container (must provide agnhost, sh and dig)' },
  },
  examples: [
    'npx zx scripts/netpol.mts --offline tests/fixtures/netpol/bench-9pods.yaml',
    'npx zx scripts/netpol.mts --offline manifests/ --format json',
    'npx zx scripts/netpol.mts --repo --assert apps/netpol-assertions.yaml --format junit --output reports/netpol.xml',
    'npx zx scripts/netpol.mts --assert apps/netpol-assertions.yaml --external 1.1.1.1:443',
  ],
  async run(ctx) {
    // loaded here, not at the top: --help needs none of it
    const [{ kustomizeBuild }, { loadAssertionsFile, renderReport, runOffline, runProbes, summarize }, { parseExternalSpec }] = await Promise.all([
      import('./lib/tools/kubectl.mts'), import('./lib/netpol/index.mts'), import('./lib/netpol/targets.mts'),
    ])
    const f = ctx.flags
    const format = (ctx.json ? 'json' : f.reporter ?? f.format) as Format
    const externals = (f.external ?? []).map((s) => parseExternalSpec(s) ?? (() => {
      throw new StepError({ step: 'flags', message: `--external ${s} is not host:port[/TCP|UDP|SCTP]`, hint: 'e.g. --external 1.1.1.1:443 or --external example.com:80', exitCode: EXIT.usage })
    })())
    const paths = [...(f.offline ?? []), ...ctx.args]
    const offline = paths.length > 0 || f.repo
    const scope = f.namespace?.length ? { namespaces: f.namespace } : {}

    const report = offline
      ? await ctx.ui.step('netpol: computing the expected connectivity', () =>
          runOffline({
            paths,
            ...(f.repo ? { repo: ctx.root } : {}),
            ...(f.assert ? { assertionsFile: f.assert } : {}),
            ...scope,
            externals,
            dns: f.dns,
            render: (dir) => kustomizeBuild(ctx.runner, dir, 'netpol/render'),
          }),
        )
      : await runProbes(ctx, {
          ...scope,
          allNamespaces: f['all-namespaces'],
          externals,
          ...(f.assert ? { assertions: loadAssertionsFile(f.assert) } : {}),
          timeoutSec: f.timeout,
          deadlineSec: f.deadline,
          intervalSec: f.interval,
          concurrency: f.concurrency,
          ...(f.rounds !== undefined ? { maxRounds: f.rounds } : {}),
          readyTimeoutSec: f['ready-timeout'],
          image: f['probe-image'],
        })

    // the human report carries its warnings; with a machine format or a file they must still reach a person
    if (format !== 'human' || f.output) for (const w of report.warnings) ctx.ui.warn(`netpol: ${w}`)
    const text = renderReport(report, format, format === 'human' && !f.output && ctx.ui.color && Boolean(process.stdout.isTTY))
    if (f.output) {
      fs.mkdirSync(path.dirname(path.resolve(f.output)), { recursive: true })
      fs.writeFileSync(f.output, text)
      ctx.ui.info(`netpol: report written to ${f.output}`)
    } else process.stdout.write(text)

    const s = summarize(report)
    if (report.ok) {
      ctx.ui.success(`netpol: ${offline ? `${s.cells} connections computed` : `observed == expected for ${s.probed} probes`}${s.assertions ? `, ${s.assertions} assertions hold` : ''}`)
      return EXIT.ok
    }
    const why = [
      s.mismatches ? `${s.mismatches} probes differ from the policies (${s.unexpectedlyAllowed} unexpectedly allowed, ${s.unexpectedlyDenied} unexpectedly denied)` : '',
      s.unobserved ? `${s.unobserved} connections could not be probed` : '',
      s.assertionsFailed ? `${s.assertionsFailed} of ${s.assertions} assertions fail` : '',
    ].filter(Boolean)
    ctx.ui.error(`netpol: ${why.join('; ')} — see the report above${f.output ? ` (${f.output})` : ''}`)
    return EXIT.checkFailed
  },
})
