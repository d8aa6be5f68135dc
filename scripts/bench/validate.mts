#!/usr/bin/env zx
// Benchmark: `validate` against the floor a user already has, a serial shell loop of `kubectl kustomize` over
// the same kustomization directories (not a test: timings are reported, never asserted).
//
//   npx zx scripts/bench/validate.mts [--rounds 5] [--root <checkout>] [--cold] [--npx]
//
// Each round runs both, interleaved (the order alternates), as separate processes: validate exactly as a user
// runs it (`zx scripts/validate.mts <root>`; --npx: through `npx zx`, npm's own start-up included) and the loop
// as `sh -c 'for d in ...; do kubectl kustomize --load-restrictor=LoadRestrictionsNone "$d"; done'`. Reports
// medians (min-max) of wall time and CPU seconds (user+sys of the process tree, from /proc; CPU is what a
// loaded machine shows least noisily) and the ratio validate/loop. One untimed validate run warms the caches
// first; --cold deletes validate's caches (unknown-field graph, schema results) before every validate run, as
// the first run after `npm ci` finds them.

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { minimist } from 'zx'
import { discover } from '../lib/validate/discover.mts'
import { DEFAULT_CACHE_FILE } from '../lib/validate/field-cache.mts'
import { DEFAULT_SCHEMA_CACHE_FILE } from '../lib/validate/schema-cache.mts'

const repo = path.resolve(import.meta.dirname, '..', '..')
const argv = minimist(process.argv.slice(2), { boolean: ['cold', 'npx', 'help'], string: ['root'], default: { rounds: 5 } })
if (argv.help) {
  process.stdout.write('usage: npx zx scripts/bench/validate.mts [--rounds <n>] [--root <checkout>] [--cold] [--npx]\n')
  process.exit(0)
}
const rounds = Math.max(1, Number(argv.rounds) || 5)
const root = path.resolve(String(argv.root ?? repo))
const dirs = discover(root).kustomizations.map((d) => path.relative(root, d))
if (dirs.length === 0) {
  process.stderr.write(`no kustomization under ${root}\n`)
  process.exit(2)
}

/** CPU seconds (user+sys) of the children this process has waited for, from /proc/self/stat; NaN elsewhere. */
function childCpu(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields 16 and 17 (cutime, cstime) in clock ticks; Linux's USER_HZ is 100
    return (Number(f[13]) + Number(f[14])) / 100
  } catch {
    return Number.NaN
  }
}

interface Sample { wall: number; cpu: number; code: number | null }

function measure(cmd: string, args: string[]): Sample {
  const c0 = childCpu()
  const t0 = performance.now()
  const r = spawnSync(cmd, args, { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' }, encoding: 'utf8' })
  const wall = (performance.now() - t0) / 1000
  if (r.status !== 0 && cmd !== 'sh') process.stderr.write(r.stderr)
  return { wall, cpu: childCpu() - c0, code: r.status }
}

const loopScript = `for d in ${dirs.map((d) => `'${d}'`).join(' ')}; do kubectl kustomize --load-restrictor=LoadRestrictionsNone "$d" >/dev/null 2>&1; done`
const zx = path.join(repo, 'node_modules', '.bin', 'zx')
const validateArgs = [path.join(repo, 'scripts', 'validate.mts'), root]
const runLoop = () => measure('sh', ['-c', loopScript])
const runValidate = () => {
  if (argv.cold) for (const f of [DEFAULT_CACHE_FILE, DEFAULT_SCHEMA_CACHE_FILE]) fs.rmSync(f, { force: true })
  return argv.npx ? measure('npx', ['zx', ...validateArgs]) : measure(zx, validateArgs)
}

process.stderr.write(`validate vs a serial kubectl kustomize loop over ${dirs.length} directories, ${rounds} round(s), ${os.availableParallelism()} CPUs, load ${os.loadavg()[0]!.toFixed(1)}${argv.cold ? ', cold field cache' : ''}\n`)
const warm = runValidate()
if (warm.code !== 0) process.stderr.write(`note: validate exits ${warm.code} on ${root}\n`)
const loop: Sample[] = []
const val: Sample[] = []
for (let i = 0; i < rounds; i++) {
  const pair = i % 2 === 0 ? [runLoop(), runValidate()] as const : (() => { const v = runValidate(); return [runLoop(), v] as const })()
  loop.push(pair[0])
  val.push(pair[1])
  process.stderr.write(`round ${i + 1}/${rounds}: loop ${pair[0].wall.toFixed(2)}s (cpu ${pair[0].cpu.toFixed(2)}s), validate ${pair[1].wall.toFixed(2)}s (cpu ${pair[1].cpu.toFixed(2)}s)\n`)
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2 }
const stat = (xs: number[]) => `${median(xs).toFixed(2)}s (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`
const out = [
  `                       wall (median, min-max)   cpu (median, min-max)`,
  `  kustomize loop       ${stat(loop.map((s) => s.wall)).padEnd(25)}${stat(loop.map((s) => s.cpu))}`,
  `  validate             ${stat(val.map((s) => s.wall)).padEnd(25)}${stat(val.map((s) => s.cpu))}`,
  `  validate / loop      wall ${(median(val.map((s) => s.wall)) / median(loop.map((s) => s.wall))).toFixed(2)}x, cpu ${(median(val.map((s) => s.cpu)) / median(loop.map((s) => s.cpu))).toFixed(2)}x (medians); per round ${median(val.map((s, i) => s.wall / loop[i]!.wall)).toFixed(2)}x`,
]
process.stdout.write(`${out.join('\n')}\n`)
if (val.some((s) => s.code !== warm.code)) process.exitCode = 1
