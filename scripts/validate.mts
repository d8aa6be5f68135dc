#!/usr/bin/env zx
// validate: the GitOps repository, offline. Every kustomization builds the way Flux builds it, every rendered
// object is schema-valid, every reference resolves, the workload policy holds; each problem names its file.
import os from 'node:os'
import path from 'node:path'
import fs from 'node:fs'
import { printJson, runCommand } from './lib/shell/cli.mts'
import { EXIT, StepError } from './lib/shell/errors.mts'
import { GITOPS_DIRS } from './lib/validate/gitops-dirs.mts'

await runCommand<{ concurrency?: number }>({
  name: 'validate',
  summary: 'validate the GitOps repository offline (kustomize builds, schemas, references, workload policy)',
  usage: '[<root>] [flags]',
  positionals: { name: '<root>', max: 1 },
  description: `
Checks ${GITOPS_DIRS.map((d) => `${d}/`).join(', ')} under <root> (default: the current directory):
  - every kustomization builds with \`kubectl kustomize --load-restrictor=LoadRestrictionsNone\` (as Flux does),
    and every path it names exists;
  - every rendered object matches its schema (built-in kinds, Flux, Gateway API, Prometheus Operator, or a CRD in
    the repository), has no unknown fields, valid names/labels and Flux durations;
  - references resolve: Flux Kustomization paths/dependsOn/sources, HelmRelease sources/values/pinned charts,
    Gateway routes and backends, ConfigMaps/Secrets/ServiceAccounts used by pods, namespaces;
  - the repository's own pod templates meet the Pod Security Standard "restricted" plus read-only root
    filesystem, probes, requests/limits and pinned image tags (Helm chart internals are not rendered);
  - kind cluster configs (kind.x-k8s.io/v1alpha4) are checked like kind reads them.
Exit 0 iff there is no error (warnings do not fail). Read-only: runs under --dry-run too.`,
  flags: {
    concurrency: { type: 'number', value: '<n>', description: 'parallel kustomize builds', default: Math.max(1, Math.min(4, os.availableParallelism())), integer: true, min: 1, max: 64 },
  },
  examples: ['npx zx scripts/validate.mts', 'npx zx scripts/validate.mts path/to/checkout --json | jq .problems'],
  async run(ctx) {
    // loaded here, not at the top: --help needs none of it
    const [{ kustomizeBuildWithOrigins }, { renderHuman, toJson }, { validateRepo }] = await Promise.all([
      import('./lib/tools/kubectl.mts'), import('./lib/validate/report.mts'), import('./lib/validate/run.mts'),
    ])
    const root = path.resolve(ctx.args[0] ?? process.cwd())
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
      throw new StepError({ step: 'validate', message: `${root} is not a directory`, hint: 'pass the root of a checkout of this repository', exitCode: EXIT.usage })
    }
    if (!GITOPS_DIRS.some((d) => fs.existsSync(path.join(root, d)))) {
      throw new StepError({ step: 'validate', message: `${root} has none of ${GITOPS_DIRS.join(', ')}`, hint: 'pass the root of a checkout of this repository', exitCode: EXIT.usage })
    }
    const concurrency = Number(ctx.flags.concurrency)
    const result = await ctx.ui.step(`validating ${root}`, (s) =>
      validateRepo({
        root,
        concurrency,
        build: (dir) => kustomizeBuildWithOrigins(ctx.runner, dir),
        // a live counter on a terminal; in logs (CI) one line per build would be noise
        ...(ctx.ui.interactive ? { onBuildDone: (done: number, total: number) => s.update(`${done}/${total} kustomize builds`) } : {}),
      }))
    if (result.counts.builds > 0 && result.counts.buildsFailed === result.counts.builds && result.problems.some((p) => /kubectl is not installed/.test(p.message))) {
      throw new StepError({ step: 'validate', message: 'kubectl is not installed or not on PATH', hint: 'install kubectl (it builds the kustomizations, as Flux does)', exitCode: EXIT.missingTool })
    }
    if (!result.unknownFieldCheck) ctx.ui.warn('validate: unknown-field check skipped (the typescript package is not installed; run npm ci)')
    if (ctx.json) printJson(toJson(result))
    else process.stdout.write(renderHuman(result, ctx.ui.color))
    return result.counts.errors === 0 ? EXIT.ok : EXIT.checkFailed
  },
})
