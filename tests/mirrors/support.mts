// Shared by the mirrors tests: the phases that make the caches and wire them, the upstreams, and a cache's name.

/** up's phases from nothing to caches wired into the nodes */
export const LAYER = ['--only', 'preflight,ports,registry,mirrors,cluster,wiring,mirror-wiring']
export const HOSTS = ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io']
/** the pull-through cache container of an upstream host */
export const cache = (h: string) => `kind-registry-mirror-${h.replace(/[^a-z0-9]+/g, '-')}`
