// The bootstrap objects up applies in FLUX_MODE=oci: `kubectl kustomize bootstrap` with the effective values of
// this run put in place, never by editing files:
//  - the OCIRepositories pull from the registry's in-cluster name (<REGISTRY_NAME>:5000), which survives host-port
//    remaps: `platform` at its tag, each apps-<env> at the tag <env> of the apps artifact;
//  - the apps-<env> Kustomizations carry no spec.images: the demo image is pinned inside the apps artifact, so what
//    an environment runs is exactly what its digest says (an spec.images override would move every environment);
//  - environments not in ENVIRONMENTS are left out (and deleted when they exist, so Flux prunes them).
// Pure.

import YAML from 'yaml'
import { ALL_ENVIRONMENTS, type Environment } from '../shell/config.mts'
import { APPS_REPOSITORY, appsSource } from './apps-artifact.mts'

export const FLUX_NS = 'flux-system'
export const OCI_SOURCE = 'platform'
export const ARTIFACT_TAG = 'local'

type Obj = Record<string, any>

export interface BootstrapInput {
  registryName: string
  /** in-cluster registry port (5000) */
  registryPort?: number
  environments: Environment[]
}

export const appKustomization = (env: Environment) => `apps-${env}`

export function parseDocs(yaml: string): Obj[] {
  return YAML.parseAllDocuments(yaml).map((d) => d.toJS() as Obj).filter((o) => o && typeof o === 'object' && o.kind)
}

export function stringifyDocs(objs: Obj[]): string {
  return objs.map((o) => `---\n${YAML.stringify(o, { lineWidth: 0 })}`).join('')
}

export function renderBootstrap(objs: Obj[], input: BootstrapInput): Obj[] {
  const port = input.registryPort ?? 5000
  const skipped = new Set(ALL_ENVIRONMENTS.filter((e) => !input.environments.includes(e)).map(appKustomization))
  const appsEnv = (name: unknown) => ALL_ENVIRONMENTS.find((e) => appsSource(e) === name)
  return objs
    .filter((o) => !((o.kind === 'Kustomization' || o.kind === 'OCIRepository') && skipped.has(o.metadata?.name)))
    .map((o) => {
      const c = structuredClone(o)
      if (c.kind === 'OCIRepository' && c.metadata?.name === OCI_SOURCE) {
        c.spec.url = `oci://${input.registryName}:${port}/${OCI_SOURCE}`
        c.spec.ref = { tag: ARTIFACT_TAG }
      }
      const env = c.kind === 'OCIRepository' ? appsEnv(c.metadata?.name) : undefined
      if (env) {
        c.spec.url = `oci://${input.registryName}:${port}/${APPS_REPOSITORY}`
        c.spec.ref = { tag: env }
      }
      if (c.kind === 'Kustomization' && String(c.apiVersion ?? '').startsWith('kustomize.toolkit.fluxcd.io/') && appsEnv(c.metadata?.name)) {
        delete c.spec.images
      }
      return c
    })
}

/** Names of the root Kustomizations the bootstrap creates (the wait starts from these). */
export function rootKustomizations(objs: Obj[]): string[] {
  return objs.filter((o) => o.kind === 'Kustomization' && String(o.apiVersion ?? '').startsWith('kustomize.toolkit.fluxcd.io/')).map((o) => String(o.metadata.name))
}

/** apps-<env> Kustomizations (or OCIRepositories: same names) of environments that are no longer wanted but still exist. */
export function unwantedAppKustomizations(liveNames: string[], environments: Environment[]): string[] {
  const unwanted = ALL_ENVIRONMENTS.filter((e) => !environments.includes(e)).map(appKustomization)
  return liveNames.filter((n) => unwanted.includes(n))
}
