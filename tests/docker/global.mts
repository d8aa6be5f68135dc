// The Docker tier's run, begun and ended by the test runner around the files of tests/docker/:
//   node tests/docker/global.mts setup      -> prints KEY=VALUE lines for the tier's test files
//   node tests/docker/global.mts teardown <tests/docker/x.test.mts ...>   (the files that ran)
// setup: is there an engine (and must there be)? sweep dead runs, begin this one (owned by the runner), build the
// stand-in images once for every file. teardown: remove everything of the run, then check that nothing is left
// and that the engine's event stream shows what the files that ran are for. Exit 1 when either check fails.

import { MODE_VAR, tierMode, unavailableReason } from './engine.mts'
import { beginRun, describeLeftovers, endRun, engineAnswers } from './session.mts'
import { ensureStandIn } from './standins.mts'
import { privileged, PRIVILEGED_VAR, RUN_VAR, UNAVAILABLE_VAR } from './tier.mts'

/** What the event stream must show when a file ran: the contract of CONTRACTS.md "The test suite and Docker". */
const EXPECT: Record<string, { what: string; seen: (e: ReturnType<typeof endRun>['events']) => boolean }> = {
  'tests/docker/kind.test.mts': { what: 'node stand-in containers created with label io.x-k8s.kind.cluster', seen: (e) => e.kindNodes > 0 },
  'tests/docker/registry.test.mts': { what: 'a registry container created with label dev.platform.role=registry', seen: (e) => e.registries > 0 },
  'tests/docker/image.test.mts': { what: 'an image push', seen: (e) => e.pushes.length > 0 },
}

function setup(): number {
  const mode = tierMode(process.env)
  const reason = mode.error ?? unavailableReason()
  if (reason) {
    process.stdout.write(`${UNAVAILABLE_VAR}=${reason}\n`)
    process.stderr.write(`docker tier: ${mode.mode === 'required' ? 'REQUIRED but ' : 'skipped: '}${reason}\n`)
    return 0
  }
  // the runner started us: it owns the run
  const { id, notes } = beginRun(process.ppid)
  for (const n of notes) process.stderr.write(`docker tier: ${n}\n`)
  const t0 = Date.now()
  const built = (['registry', 'kind-node'] as const).map((r) => ensureStandIn(r))
  const priv = privileged(built[1]!.tag)
  process.stderr.write(`docker tier: run ${id}, stand-ins ${built.map((b) => b.tag + (b.pinned ? ` (${b.pinned}${b.pinnedIsOurs ? '' : ', not ours: used as it is'})` : '')).join(', ')} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s${priv === '1' ? '' : '; the engine refuses privileged containers: kind nodes run without --privileged'}\n`)
  process.stdout.write(`${RUN_VAR}=${id}\n${UNAVAILABLE_VAR}=\n${PRIVILEGED_VAR}=${priv}\n`)
  return 0
}

function teardown(ran: string[]): number {
  const id = process.env[RUN_VAR]
  if (!id) {
    process.stdout.write(`docker tier: not run (${process.env[UNAVAILABLE_VAR] || `no ${RUN_VAR}`})\n`)
    return 0
  }
  if (!engineAnswers()) {
    process.stdout.write(`docker tier run ${id}: the engine no longer answers; the next run removes what this one left\n`)
    return 1
  }
  const end = endRun(id)
  const failures = [...end.problems]
  if (describeLeftovers(end.leftovers) !== 'nothing left') failures.push(`left behind: ${describeLeftovers(end.leftovers)}`)
  for (const f of ran) {
    const x = EXPECT[f]
    if (x && !x.seen(end.events)) failures.push(`the engine's event stream shows no ${x.what} although ${f} ran`)
  }
  const ev = end.events
  process.stdout.write(`docker tier run ${id}: events: ${ev.kindNodes} kind node containers, ${ev.registries} registry containers, ${ev.pushes.length} pushes; ${describeLeftovers(end.leftovers)}${end.last ? ' (stand-in images removed: no other tier run is live)' : ' (stand-in images kept for a live tier run)'}\n`)
  for (const f of failures) process.stdout.write(`  ✖ ${f}\n`)
  return failures.length ? 1 : 0
}

const [verb, ...rest] = process.argv.slice(2)
if (verb === 'setup') process.exitCode = setup()
else if (verb === 'teardown') process.exitCode = teardown(rest)
else {
  process.stderr.write(`usage: global.mts setup | teardown <files...> (${MODE_VAR}=auto|required)\n`)
  process.exitCode = 2
}
