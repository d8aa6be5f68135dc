#!/usr/bin/env zx
// Benchmark: how long every script takes to answer `--help`, against the floor of starting Node at all
// (not a test: timings are reported, never asserted).
//
//   npx zx scripts/bench/startup.mts [--rounds 7] [--root <checkout>] [--npx]
//
// Each round runs `node -e 0`, `zx --version` (zx's own start-up) and every script's `--help`, in an order
// that rotates every round, as separate processes started the way a user starts them: `node_modules/.bin/zx
// scripts/<name>.mts --help` (--npx: `npx zx ...`, npm's own start-up included). --root measures another
// checkout's scripts (a before/after comparison). Reports the median and min-max wall time of each.

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { minimist } from 'zx'

const argv = minimist(process.argv.slice(2), { boolean: ['npx', 'help'], string: ['root'], default: { rounds: 7 } })
if (argv.help) {
  process.stdout.write('usage: npx zx scripts/bench/startup.mts [--rounds <n>] [--root <checkout>] [--npx]\n')
  process.exit(0)
}
const rounds = Math.max(1, Number(argv.rounds) || 7)
const root = path.resolve(String(argv.root ?? path.resolve(import.meta.dirname, '..', '..')))
const scripts = fs.readdirSync(path.join(root, 'scripts')).filter((f) => f.endsWith('.mts')).sort()
const zx = path.join(root, 'node_modules', '.bin', 'zx')
const node = fs.existsSync(path.join(root, 'node_modules', '.bin', 'node')) ? path.join(root, 'node_modules', '.bin', 'node') : process.execPath

type Case = { name: string; cmd: string; args: string[] }
const viaZx = (args: string[]): Pick<Case, 'cmd' | 'args'> => (argv.npx ? { cmd: 'npx', args: ['zx', ...args] } : { cmd: zx, args })
const cases: Case[] = [
  { name: 'node -e 0', cmd: node, args: ['-e', '0'] },
  { name: 'zx --version', ...viaZx(['--version']) },
  ...scripts.map((f) => ({ name: `${f.replace(/\.mts$/, '')} --help`, ...viaZx([path.join('scripts', f), '--help']) })),
]

const times = new Map<string, number[]>(cases.map((c) => [c.name, []]))
process.stderr.write(`--help of ${scripts.length} scripts in ${root}, ${rounds} round(s)${argv.npx ? ' through npx' : ''}, ${os.availableParallelism()} CPUs, load ${os.loadavg()[0]!.toFixed(1)}\n`)
// one untimed pass fills the compile cache, as any earlier run on the machine has
for (const c of cases) spawnSync(c.cmd, c.args, { cwd: root, stdio: 'ignore' })
for (let i = 0; i < rounds; i++) {
  const order = [...cases.slice(i % cases.length), ...cases.slice(0, i % cases.length)]
  for (const c of order) {
    const t0 = performance.now()
    const r = spawnSync(c.cmd, c.args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    const ms = performance.now() - t0
    if (r.status !== 0) process.stderr.write(`${c.name}: exit ${r.status}\n${r.stderr}`)
    times.get(c.name)!.push(ms)
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2 }
const s = (ms: number) => `${(ms / 1000).toFixed(2)}s`
const lines = [`  ${'command'.padEnd(22)}median   min-max`]
for (const c of cases) {
  const xs = times.get(c.name)!
  lines.push(`  ${c.name.padEnd(22)}${s(median(xs)).padEnd(9)}${s(Math.min(...xs))}-${s(Math.max(...xs))}`)
}
const helps = cases.slice(2).map((c) => median(times.get(c.name)!))
lines.push(`  slowest --help median ${s(Math.max(...helps))}; zx start-up ${s(median(times.get('zx --version')!))}; node ${s(median(times.get('node -e 0')!))}`)
process.stdout.write(`${lines.join('\n')}\n`)
