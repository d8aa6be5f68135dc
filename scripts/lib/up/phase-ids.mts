// The phases of up by id, in run order: what `up --help` lists without loading the phases themselves
// (tests/foundation/startup.test.mts checks it against PHASES).
export const PHASE_IDS = ['preflight', 'ports', 'registry', 'mirrors', 'cluster', 'wiring', 'mirror-wiring', 'image', 'addons', 'tls', 'flux', 'reconcile', 'smoke', 'netpol'] as const
