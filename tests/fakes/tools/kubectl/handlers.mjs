// Extra fake-kubectl subcommands, one module each: add a line per subcommand.
export default {
  // up/sync/status/diagnostics: server-side diff, rollout status, logs
  diff: () => import('./diff.mjs'),
  rollout: () => import('./rollout.mjs'),
  logs: () => import('./logs.mjs'),
}
