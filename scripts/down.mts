#!/usr/bin/env zx
// down: tear down what up created. Asks first on a terminal (what to delete, then a confirmation naming the
// cluster); without one it needs --yes. Keeps the registry (a cache) unless told otherwise. The flow lives in
// lib/down/ (pure planner in plan.mts, thin executor in execute.mts).
import { runCommand } from './lib/shell/cli.mts'
import type { DownFlags } from './lib/down/teardown.mts'

await runCommand<DownFlags>({
  name: 'down',
  lock: true,
  summary: 'delete what up created: kind cluster, kube context, port-forwards, local state (the registry only if asked)',
  description: `
On a terminal: shows what exists, lets you pick what to delete (the registry is kept by default: it is a cache
the next up reuses; so is the local CA, which whatever you told to trust it keeps trusting), then asks once more
naming the cluster (and the CA, when it goes). Ctrl-C at any prompt deletes nothing.
Without a terminal (CI, pipes): needs --yes. Idempotent: parts already gone count as removed. At the end it
checks that nothing it deleted is still there and exits 1 listing any leftovers.
Safety: deletes only the kind cluster named exactly CLUSTER_NAME and a registry container carrying the label
dev.platform.role=registry; every kubectl call names --context kind-<CLUSTER_NAME> (your current context is
never used or changed). With PLATFORM_PROVIDER=existing it removes only what up recorded installing there.
Local files: only those the suite recorded writing into STATE_DIR (manifest.jsonl), one by one, then the
directories it created if they are empty; anything else there stays. --all also removes files kept on purpose.`,
  flags: {
    yes: { type: 'boolean', alias: 'y', description: 'no prompts: delete what up created (keeps the registry, the local CA and other files kept on purpose); required without a TTY' },
    all: { type: 'boolean', description: 'delete the registry (and its cached images), the local CA and the local files kept on purpose too (on a terminal: selected, then confirmed)' },
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
