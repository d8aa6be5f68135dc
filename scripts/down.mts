#!/usr/bin/env zx
// down: tear down what up created. Asks first on a terminal (what to delete, then a confirmation naming the
// cluster); without one it needs --yes. Keeps the registry (a cache) unless told otherwise. The flow lives in
// lib/down/ (pure planner in plan.mts, thin executor in execute.mts).
import { runCommand } from './lib/shell/cli.mts'
import type { DownFlags } from './lib/down/teardown.mts'

await runCommand<DownFlags>({
  name: 'down',
  summary: 'delete what up created: kind cluster, kube context, port-forwards, local state (the registry only if asked)',
  description: `
On a terminal: shows what exists, lets you pick what to delete (the registry is kept by default: it is a cache
the next up reuses), then asks once more naming the cluster. Ctrl-C at any prompt deletes nothing.
Without a terminal (CI, pipes): needs --yes. Idempotent: parts already gone count as removed. At the end it
checks that nothing it deleted is still there and exits 1 listing any leftovers.
Safety: deletes only the kind cluster named exactly CLUSTER_NAME and a registry container carrying the label
dev.platform.role=registry; every kubectl call names --context kind-<CLUSTER_NAME> (your current context is
never used or changed). With PLATFORM_PROVIDER=existing it removes only what up recorded installing there.`,
  flags: {
    yes: { type: 'boolean', alias: 'y', description: 'no prompts: delete what up created (keeps the registry); required without a TTY' },
    all: { type: 'boolean', description: 'delete the registry (and its cached images) too' },
    'delete-registry': { type: 'boolean', description: 'same as --all: also delete the registry container and its data' },
  },
  examples: [
    'npx zx scripts/down.mts',
    'npx zx scripts/down.mts --dry-run',
    'npx zx scripts/down.mts --yes',
    'npx zx scripts/down.mts --yes --all --json > down.json',
  ],
  // loaded when down runs, not for --help
  run: async (ctx) => (await import('./lib/down/teardown.mts')).runDown(ctx),
})
