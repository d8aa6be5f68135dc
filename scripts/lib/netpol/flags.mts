// Values netpol's flags and --help name, apart from the engine so that `netpol --help` does not load it.
export const FORMATS = ['human', 'json', 'junit', 'tap'] as const
export type Format = (typeof FORMATS)[number]
export const DEFAULT_PROBE_IMAGE = 'registry.k8s.io/e2e-test-images/agnhost:2.53'
