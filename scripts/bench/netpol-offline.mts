#!/usr/bin/env zx
// Benchmark of the offline network-policy check (not a test: timings are reported, never asserted).
//   npx zx scripts/bench/netpol-offline.mts [--input <file>] [--iterations <n>]
// Reports (1) the in-process time to parse + expand + compute + render JSON, median/min/max over n
// iterations after a warm-up, and (2) the wall time of the real CLI (`netpol --offline <file> --format json`)
// as a user runs it, process start-up included.

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { minimist } from 'zx'
import { parseYamlDocuments } from '../lib/netpol/load.mts'
import { offlineReport } from '../lib/netpol/offline.mts'
import { renderJson } from '../lib/netpol/report/machine.mts'

const root = path.resolve(import.meta.dirname, '..', '..')
const argv = minimist(process.argv.slice(2), { string: ['input'], default: { iterations: 50 } })
if (argv.help) {
  process.stdout.write('usage: npx zx scripts/bench/netpol-offline.mts [--input <file>] [--iterations <n>]\n')
  process.exit(0)
}
const input = path.resolve(root, String(argv.input ?? 'tests/fixtures/netpol/bench-9pods.yaml'))
const iterations = Math.max(1, Number(argv.iterations) || 50)
const text = fs.readFileSync(input, 'utf8')

function once(): { ms: number; cells: number; policies: number; pods: number } {
  const t0 = performance.now()
  const { report } = offlineReport(parseYamlDocuments(text, input))
  renderJson(report)
  return { ms: performance.now() - t0, cells: report.cells.length, policies: report.policies, pods: report.sources.length }
}

once() // warm-up (JIT, module caches)
const runs = Array.from({ length: iterations }, once)
const times = runs.map((r) => r.ms).sort((a, b) => a - b)
const median = times[Math.floor(times.length / 2)] as number
const first = runs[0] as { cells: number; policies: number; pods: number }

const cli = path.join(root, 'node_modules', 'zx', 'build', 'cli.js')
const t0 = performance.now()
const r = spawnSync(process.execPath, [cli, path.join(root, 'scripts', 'netpol.mts'), '--offline', input, '--format', 'json'], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
const wall = performance.now() - t0
const cliCells = r.status === 0 ? (JSON.parse(r.stdout) as { cells: unknown[] }).cells.length : -1

const fmt = (ms: number) => `${ms.toFixed(2)} ms`
process.stdout.write(
  [
    `input: ${path.relative(root, input)} (${first.pods} pods, ${first.policies} policies, ${first.cells} cells)`,
    `in-process parse+compute+render: median ${fmt(median)}, min ${fmt(times[0] as number)}, max ${fmt(times.at(-1) as number)} over ${iterations} runs`,
    `CLI end to end (node + zx start-up included): ${fmt(wall)}, exit ${r.status}, ${cliCells} cells`,
    '',
  ].join('\n'),
)
if (r.status !== 0) {
  process.stderr.write(r.stderr)
  process.exit(1)
}
