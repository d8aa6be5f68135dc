// Chart values only known at run time (the host port the gateway really listens on), for both ways an add-on
// is installed: Flux reads them from a ConfigMap the scripts apply, which the HelmRelease lists in valuesFrom
// with `optional: true` (so validate and a cluster without the scripts work without it); a plain `helm upgrade
// --install` gets the same values as one more values layer. Grafana builds its links and redirects from
// root_url, whose default (`%(protocol)s://%(domain)s:%(http_port)s/`) would name its container port 3000.
// Pure.

import YAML from 'yaml'

export interface RuntimeValuesRef {
  /** ConfigMap the HelmRelease reads through an optional valuesFrom entry that no generator in the repo defines */
  configMap: string
  namespace: string
  key: string
}

export interface RuntimeInput {
  /** host port of the gateway's HTTP listener (remembered when it was remapped) */
  httpPort: number
}

export const HOST_VALUES_CONFIGMAP = 'kube-prometheus-stack-host-values'

export const grafanaRootUrl = (httpPort: number) => `http://grafana.localhost:${httpPort}/`

/** The values the scripts supply for one runtime ConfigMap; undefined for a name they do not know. */
export function runtimeValues(ref: RuntimeValuesRef, input: RuntimeInput): Record<string, unknown> | undefined {
  if (ref.configMap === HOST_VALUES_CONFIGMAP) {
    return { grafana: { 'grafana.ini': { server: { root_url: grafanaRootUrl(input.httpPort) } } } }
  }
  return undefined
}

/**
 * The ConfigMap for Flux. The label makes helm-controller (Flux >= 2.8) upgrade the release as soon as it
 * changes; older controllers pick the change up at their next reconcile, which up requests right away.
 */
export function runtimeValuesManifest(ref: RuntimeValuesRef, values: Record<string, unknown>): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: ref.configMap, namespace: ref.namespace, labels: { 'app.kubernetes.io/managed-by': 'platform-up', 'reconcile.fluxcd.io/watch': 'Enabled' } },
    data: { [ref.key]: YAML.stringify(values) },
  })
}
