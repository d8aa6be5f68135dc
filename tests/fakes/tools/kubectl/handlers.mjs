// Extra fake-kubectl subcommands, one module each: add a line per subcommand.
export default {
  'port-forward': () => import('./port-forward.mjs'),
  // netpol probes: ephemeral probe containers and the probe exec (only netpol probe scripts are simulated)
  debug: () => import('./netpol.mjs'),
  exec: () => import('./netpol.mjs'),
  // up/sync/status/diagnostics: server-side diff, rollout status, logs
  diff: () => import('./diff.mjs'),
  rollout: () => import('./rollout.mjs'),
  logs: () => import('./logs.mjs'),
  patch: () => import('./patch.mjs'),
}
