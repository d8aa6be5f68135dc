#!/usr/bin/env zx
// Benchmark: a first `up` from nothing vs a second `up` on the converged platform (not a test: timings are
// reported, never asserted). Runs the real scripts against the stateful fake CLIs (tests/fakes), so it works on a
// machine without Docker. Reports wall time, CLI calls and mutating calls of each run.
//
//   npx zx scripts/bench/up-rerun.mts [--iterations 3] [--latency] [--scale 0.1]
//
// --latency injects a latency model into the fakes so the first run costs what it costs on a laptop, scaled
// by --scale (default 0.1: 40 s become 4 s): every CLI call 150 ms (process start + API round trip), and the
// expensive mutations their typical duration: kind create cluster 40 s, docker build 30 s, docker push 3 s,
// helm upgrade --install 20 s, flux install (apply + controllers Available) 25 s, flux push 2 s,
// flux reconcile (the whole platform converging, kube-prometheus-stack included) 120 s.
// --scale 1 gives laptop-like wall times (the first run then takes minutes); smaller scales keep the shape.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { minimist } from 'zx'
import { fakeEnv, REPO } from '../../tests/helpers/fakes.mts'
import { runScript } from '../../tests/helpers/proc.mts'
import { isMutating } from '../../tests/up/world.mts'

const argv = minimist(process.argv.slice(2), { boolean: ['latency', 'help'], default: { iterations: 3, scale: 0.1 } })
if (argv.help) {
  process.stdout.write('usage: npx zx scripts/bench/up-rerun.mts [--iterations <n>] [--latency] [--scale <factor>]\n')
  process.exit(0)
}
const iterations = Math.max(1, Number(argv.iterations) || 3)
const scale = Number(argv.scale) || 0.1
const SKIP = ['--skip', 'smoke,netpol']

/** seconds on a real machine for the expensive mutations, by tool and leading arguments */
const MODEL: Record<string, [string, number][]> = {
  kind: [['create cluster', 40]],
  docker: [['build', 30], ['push', 3]],
  helm: [['upgrade', 20]],
  kubectl: [['--context kind-platform wait deployment', 25]],
  flux: [['push artifact', 2], ['reconcile', 120]],
}
const BASE_S = 0.15

/**
 * Shims in front of the fakes on PATH: sleep the modeled time, then exec the fake unchanged (exit codes and
 * output untouched).
 */
function latencyShims(fakeBin: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'up-bench-shims-'))
  for (const tool of Object.keys(MODEL)) {
    const cases = MODEL[tool]!.map(([args, s]) => `  "${args}"*) sleep ${(s * scale).toFixed(3)} ;;`).join('\n')
    fs.writeFileSync(path.join(dir, tool), `#!/bin/sh\ncase "$*" in\n${cases}\n  *) sleep ${(BASE_S * scale).toFixed(3)} ;;\nesac\nexec "${fakeBin}/${tool}" "$@"\n`, { mode: 0o755 })
  }
  return dir
}

interface Run { ms: number; calls: number; mutating: number; code: number | null }

async function once(f: ReturnType<typeof fakeEnv>): Promise<Run> {
  f.clearCalls()
  const t0 = performance.now()
  const r = await runScript('up', SKIP, { env: f.env, timeoutMs: 600_000 })
  const ms = performance.now() - t0
  const calls = f.calls()
  if (r.code !== 0) process.stderr.write(r.stderr)
  return { ms, calls: calls.length, mutating: calls.filter(isMutating).length, code: r.code }
}

async function pair(latency: boolean): Promise<{ first: Run; second: Run }> {
  const f = fakeEnv({}, { CI: '1' })
  const shims = latency ? latencyShims(path.join(REPO, 'tests', 'fakes', 'bin')) : undefined
  if (shims) f.env.PATH = `${shims}:${f.env.PATH}`
  try {
    const first = await once(f)
    const second = await once(f)
    return { first, second }
  } finally {
    f.cleanup()
    if (shims) fs.rmSync(shims, { recursive: true, force: true })
  }
}

const plain: { first: Run; second: Run }[] = []
const slow: { first: Run; second: Run }[] = []
for (let i = 0; i < iterations; i++) {
  const p = await pair(false)
  plain.push(p)
  let line = `run ${i + 1}/${iterations}: first ${(p.first.ms / 1000).toFixed(1)}s, second ${(p.second.ms / 1000).toFixed(1)}s`
  if (argv.latency) {
    const q = await pair(true)
    slow.push(q)
    line += `; with latency model: first ${(q.first.ms / 1000).toFixed(1)}s, second ${(q.second.ms / 1000).toFixed(1)}s`
  }
  process.stderr.write(`${line}\n`)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)}s`
const m = (rs: typeof plain, k: 'first' | 'second') => median(rs.map((r) => r[k].ms))
const row = (k: 'first' | 'second') => `  ${k} up${' '.repeat(10 - k.length)}  ${fmt(m(plain, k)).padEnd(14)}  ${String(plain[0]![k].calls).padEnd(10)}  ${String(plain[0]![k].mutating).padEnd(14)}${argv.latency ? `  ${fmt(m(slow, k))}` : ''}`
const out = [
  `up from nothing vs converged re-run: ${iterations} iteration(s) against the fake CLIs${argv.latency ? `, plus the latency model at scale ${scale}` : ''}`,
  `                  wall (median)   CLI calls   mutating calls${argv.latency ? `  with latency model x${scale}` : ''}`,
  row('first'),
  row('second'),
  `  second/first    ${(m(plain, 'second') / m(plain, 'first') * 100).toFixed(0)}% measured${argv.latency ? `, ${(m(slow, 'second') / m(slow, 'first') * 100).toFixed(0)}% with the latency model` : ''}`,
]
process.stdout.write(`${out.join('\n')}\n`)
if ([...plain, ...slow].some((r) => r.first.code !== 0 || r.second.code !== 0)) process.exitCode = 1
