#!/usr/bin/env zx
// Benchmark: scripts/load.mts against wrk on the same endpoint of the demo app (not a test: figures are
// reported, never asserted). Both are run as a user runs them, one after the other, in an order that rotates
// every round (load.mts first in odd rounds, wrk first in even ones), so whatever else loads the machine
// weighs on both alike; the table shows medians over the rounds.
//
//   npx zx scripts/bench/load-vs-wrk.mts [--rounds 5] [--duration 5] [--concurrency 8,64] [--path /work] [--json]
//                                        [--baseline <checkout>] [--wrk <binary>]
//
// --baseline runs the load.mts of another checkout (with its node_modules) as a third tool in the same
// rotation: before/after figures for a change to the generator.
//
// Columns: completed req/s; latency p50/p90/p99 as each tool reports it; the generator's CPU per request
// (load.mts's without its start-up, read from /proc when its first line appears); how many cores the demo app
// got while the tool ran (a generator that takes the CPU for itself leaves the server less, and measures that).
// Without wrk on PATH (Debian/Ubuntu: apt-get install wrk) it says so and measures load.mts alone.

import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { minimist } from 'zx'
import { freePort } from '../lib/shell/ports.mts'
import { parseWrk } from './wrk-output.mts'

const root = path.resolve(import.meta.dirname, '..', '..')
const argv = minimist(process.argv.slice(2), { string: ['concurrency', 'path', 'baseline', 'wrk'], boolean: ['json', 'help'], default: { rounds: 5, duration: 5, concurrency: '8,64', path: '/work', wrk: 'wrk' } })
if (argv.help) {
  process.stdout.write('usage: npx zx scripts/bench/load-vs-wrk.mts [--rounds <n>] [--duration <s>] [--concurrency <n,n>] [--path </work>] [--json] [--baseline <checkout>] [--wrk <binary>]\n')
  process.exit(0)
}
const rounds = Math.max(1, Math.floor(Number(argv.rounds)) || 5)
// whole seconds: wrk reads -d as an integer
const duration = Math.max(1, Math.round(Number(argv.duration)) || 5)
const concurrencies = String(argv.concurrency).split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0)
if (concurrencies.length === 0) {
  process.stderr.write(`--concurrency ${argv.concurrency}: give whole numbers, e.g. 8,64\n`)
  process.exit(2)
}
const log = (line: string) => process.stderr.write(`${line}\n`)

type Tool = 'load.mts' | 'wrk' | 'baseline'
interface Run { tool: Tool; concurrency: number; round: number; rps: number; p50: number; p90: number; p99: number; failed: number; cpuUsPerReq?: number; serverCores?: number }

// --- CPU accounting from /proc (Linux); elsewhere the two CPU columns stay empty ---
const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100
/** utime+stime (own) and cutime+cstime (reaped children) of a process, in seconds */
function cpuOf(pid: number | 'self'): { own: number; children: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number)
    // fields 14-17 of proc(5), counted from the state field (3)
    return { own: (f[11]! + f[12]!) / HZ, children: (f[13]! + f[14]!) / HZ }
  } catch {
    return undefined
  }
}

/** Runs a tool to its end; `onStderr` sees its stderr as it comes, with the child's pid (to read its CPU). */
function capture(cmd: string, args: string[], env: NodeJS.ProcessEnv, onStderr?: (text: string, pid: number) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d; onStderr?.(stderr, child.pid!) })
    child.on('error', (e) => { stderr += e.message })
    // every run is bounded by its --duration; a tool that hangs past this is killed and reported
    const timer = setTimeout(() => child.kill('SIGKILL'), (duration + 60) * 1000)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

const wrk = String(argv.wrk)
const hasWrk = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', wrk], { encoding: 'utf8' }).status === 0
if (!hasWrk) log(`wrk: ${wrk} is not installed (Debian/Ubuntu: apt-get install wrk); measuring load.mts alone`)
const baseline = argv.baseline ? path.resolve(String(argv.baseline)) : undefined
if (baseline && !fs.existsSync(path.join(baseline, 'scripts', 'load.mts'))) {
  log(`--baseline ${baseline}: no scripts/load.mts there`)
  process.exit(2)
}
const tools: Tool[] = ['load.mts', ...(hasWrk ? ['wrk' as const] : []), ...(baseline ? ['baseline' as const] : [])]

// --- the demo app, on a free loopback port ---
const port = await freePort()
const base = `http://127.0.0.1:${port}`
// the app ends with this script even when it is killed outright (SIGKILL leaves no 'exit' handler to run)
const orphanGuard = `const parent = process.ppid; setInterval(() => { if (process.ppid !== parent) process.exit(0) }, 500).unref(); await import(${JSON.stringify(path.join(root, 'apps', 'demo', 'src', 'server.mts'))})`
const app = spawn(process.execPath, ['--input-type=module', '-e', orphanGuard], { cwd: root, env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), FAIL_RATE: '0', SHUTDOWN_DELAY_SEC: '0' }, stdio: ['ignore', 'ignore', 'inherit'] })
const stopApp = () => { if (app.exitCode === null) app.kill('SIGTERM') }
process.on('exit', stopApp)
process.on('SIGINT', () => { stopApp(); process.exit(130) })
for (let i = 0; ; i++) {
  const up = await fetch(`${base}/healthz`).then((r) => r.ok, () => false)
  if (up) break
  if (i > 100 || app.exitCode !== null) { log(`the demo app did not start on ${base}`); process.exit(1) }
  await new Promise((r) => setTimeout(r, 100))
}

async function measure(tool: Tool, concurrency: number, round: number): Promise<Run | undefined> {
  const server0 = cpuOf(app.pid!)
  const self0 = cpuOf('self')
  const t0 = performance.now()
  let run: Omit<Run, 'cpuUsPerReq' | 'serverCores'> & { seconds: number; requests: number }
  // CPU the tool spent before its first request (Node and module start-up): not part of the cost per request
  let startup = 0
  if (tool !== 'wrk') {
    const checkout = tool === 'baseline' ? baseline! : root
    const onStderr = (text: string, pid: number) => { if (!startup && text.includes('load: GET ')) startup = cpuOf(pid)?.own ?? 0 }
    const r = await capture(process.execPath, [path.join(checkout, 'node_modules', 'zx', 'build', 'cli.js'), path.join(checkout, 'scripts', 'load.mts'), '--url', base, '--path', String(argv.path), '-c', String(concurrency), '-d', String(duration), '--json'], { ...process.env, CI: '1', NO_COLOR: '1' }, onStderr)
    if (r.code !== 0) { log(`${tool} exited ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`); return undefined }
    let o
    try { o = JSON.parse(r.stdout) } catch { log(`${tool}: no JSON report on stdout`); return undefined }
    run = { tool, concurrency, round, rps: o.throughput, p50: o.latencyMs.p50, p90: o.latencyMs.p90, p99: o.latencyMs.p99, failed: o.failures, seconds: o.elapsedMs / 1000, requests: o.completed }
  } else {
    const threads = Math.min(concurrency, os.availableParallelism())
    const r = await capture(wrk, ['-t', String(threads), '-c', String(concurrency), '-d', `${duration}s`, '--latency', `${base}${argv.path}`], process.env)
    if (r.code !== 0) { log(`wrk exited ${r.code}: ${r.stderr.trim()}`); return undefined }
    let w
    try { w = parseWrk(r.stdout) } catch (e) { log(`wrk: ${(e as Error).message.split('\n')[0]}`); return undefined }
    run = { tool, concurrency, round, rps: w.rps, p50: w.p50, p90: w.p90, p99: w.p99, failed: w.non2xx + w.socketErrors, seconds: w.requests / w.rps, requests: w.requests }
  }
  const wall = (performance.now() - t0) / 1000
  const server1 = cpuOf(app.pid!)
  const self1 = cpuOf('self')
  const { seconds, requests, ...rest } = run
  return {
    ...rest,
    ...(self0 && self1 && requests ? { cpuUsPerReq: ((self1.children - self0.children - startup) * 1e6) / requests } : {}),
    // the server idles while load.mts starts: divide by the time load was applied, not the wall time
    ...(server0 && server1 ? { serverCores: (server1.own - server0.own) / Math.min(wall, seconds || wall) } : {}),
  }
}

const loadavg = () => os.loadavg()[0]!.toFixed(1)
const startLoad = loadavg()
const runs: Run[] = []
const fmt = (n: number | undefined, digits = 2) => (n === undefined ? '-' : n.toFixed(digits))
for (const c of concurrencies) {
  for (let round = 1; round <= rounds; round++) {
    // a different tool goes first each round
    const order = tools.map((_, i) => tools[(i + round - 1) % tools.length]!)
    for (const tool of order) {
      const r = await measure(tool, c, round)
      if (!r) continue
      runs.push(r)
      log(`c=${c} round ${round}/${rounds} ${tool.padEnd(8)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${fmt(r.p50, 3)}  p90 ${fmt(r.p90, 3)}  p99 ${fmt(r.p99, 3)} ms  failed ${r.failed}  client ${fmt(r.cpuUsPerReq, 0)} us/req  server ${fmt(r.serverCores)} cores  (load ${loadavg()})`)
    }
  }
}
stopApp()

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? undefined : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const KEYS = ['rps', 'p50', 'p90', 'p99', 'cpuUsPerReq', 'serverCores'] as const
type Medians = Partial<Record<(typeof KEYS)[number], number>>
const medians = (tool: Tool, c: number): Medians | undefined => {
  const rs = runs.filter((r) => r.tool === tool && r.concurrency === c)
  if (rs.length === 0) return undefined
  const m: Medians = {}
  for (const k of KEYS) {
    const v = median(rs.map((r) => r[k]).filter((x): x is number => x !== undefined))
    if (v !== undefined) m[k] = v
  }
  return m
}

const summary = concurrencies.map((c) => ({ concurrency: c, loadMts: medians('load.mts', c), wrk: medians('wrk', c), ...(baseline ? { baseline: medians('baseline', c) } : {}) }))
if (argv.json) {
  process.stdout.write(`${JSON.stringify({ target: `${base}${argv.path}`, rounds, durationS: duration, loadAverage: { start: Number(startLoad), end: Number(loadavg()) }, summary, runs }, null, 2)}\n`)
} else {
  const lines = [
    `load.mts vs wrk${baseline ? ` (baseline: ${baseline})` : ''}: GET ${argv.path} of the demo app, ${rounds} round(s) x ${duration}s per tool and concurrency, interleaved; medians; load average ${startLoad} -> ${loadavg()} on ${os.availableParallelism()} cores`,
    `                     req/s   p50 ms   p90 ms   p99 ms   client us/req   server cores`,
  ]
  const row = (label: string, m: Medians | undefined) => lines.push(`  ${label.padEnd(17)}${(m?.rps === undefined ? '-' : m.rps.toFixed(0)).padStart(6)}  ${fmt(m?.p50, 3).padStart(7)}  ${fmt(m?.p90, 3).padStart(7)}  ${fmt(m?.p99, 3).padStart(7)}  ${fmt(m?.cpuUsPerReq, 0).padStart(14)}  ${fmt(m?.serverCores).padStart(13)}`)
  for (const s of summary) {
    row(`c=${s.concurrency} load.mts`, s.loadMts)
    if (baseline) row(`c=${s.concurrency} baseline`, s.baseline)
    if (s.wrk) {
      row(`c=${s.concurrency} wrk`, s.wrk)
      const ratio = (k: 'rps' | 'p50' | 'p99') => (s.loadMts?.[k] && s.wrk?.[k] ? `${(s.loadMts[k]! / s.wrk[k]!).toFixed(2)}x` : '-')
      lines.push(`  c=${s.concurrency} load.mts/wrk: req/s ${ratio('rps')}, p50 ${ratio('p50')}, p99 ${ratio('p99')}`)
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}
if (runs.length === 0) process.exitCode = 1
