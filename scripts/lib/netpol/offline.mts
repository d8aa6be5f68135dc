// Manifests in, report out: the offline check (no cluster). Pure; the CLI and `validate` call it.

import { assertionTargets, checkAssertions, type AssertionsFile } from './assertions.mts'
import { buildCluster, type SourcedObject } from './objects.mts'
import { computeExpectation, type Expectation } from './targets.mts'
import { podId, type ExternalTarget, type PodInfo } from './model.mts'
import { summarize, type NetpolReport, type ReportCell } from './report/types.mts'

export interface OfflineOptions {
  /** only pods in these namespaces are rows/columns (default: all) */
  namespaces?: readonly string[]
  externals?: readonly ExternalTarget[]
  /** add the DNS (kube-dns) destination */
  dns?: boolean
  assertions?: AssertionsFile
  /** expand Deployments/StatefulSets/DaemonSets/... into representative pods (default true) */
  expandWorkloads?: boolean
}

export interface OfflineResult {
  report: NetpolReport
  expectation: Expectation
}

export function expectationToReport(exp: Expectation, mode: NetpolReport['mode'], warnings: string[] = []): NetpolReport {
  const cells: ReportCell[] = exp.cells.map((c) => {
    const r: ReportCell = { from: c.from, to: c.to, port: c.port, protocol: c.protocol, toKind: c.toKind, expected: c.allowed }
    if (c.portName) r.portName = c.portName
    return r
  })
  return {
    mode,
    policies: exp.engine.cluster.policies.length,
    sources: exp.universe.sources.map((i) => podId(exp.engine.pods[i] as PodInfo)),
    destinations: exp.universe.destinations.map((d) => ({ id: d.id, kind: d.kind, ports: d.ports })),
    cells,
    assertions: [],
    warnings,
    ok: true,
  }
}

export function offlineReport(objects: readonly SourcedObject[], options: OfflineOptions = {}): OfflineResult {
  const input = options.assertions ? [...objects, ...options.assertions.context] : objects
  const { cluster, warnings } = buildCluster(input, { expandWorkloads: options.expandWorkloads ?? true })
  const fromAssertions = options.assertions ? assertionTargets(options.assertions) : { externals: [], dns: false }
  const expectation = computeExpectation(cluster, {
    ...(options.namespaces ? { namespaces: options.namespaces } : {}),
    externals: [...(options.externals ?? []), ...fromAssertions.externals],
    dns: Boolean(options.dns) || fromAssertions.dns,
  })
  const report = expectationToReport(expectation, 'offline', warnings)
  if (options.assertions) report.assertions = checkAssertions(options.assertions, expectation)
  report.ok = summarize(report).assertionsFailed === 0
  return { report, expectation }
}
