// Shared by the smoke tests: start the real demo app (or a fixture server) as a process, parse XML with a
// real parser (python3's xml.etree), look at port-forward pids the fake kubectl recorded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { freePort, poll, startApp, status, type RunningApp } from '../app/support.mts'
import { REPO } from '../helpers/fakes.mts'

export { freePort, poll, startApp, status, type RunningApp }

/** Start any server script (e.g. a fixture) like the app: PORT set, wait for /healthz 200. */
export async function startServer(script: string, env: Record<string, string> = {}): Promise<RunningApp> {
  const port = await freePort()
  const child = spawn(process.execPath, [path.join(REPO, script)], { cwd: REPO, env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const out: string[] = []
  const err: string[] = []
  child.stdout?.on('data', (d: Buffer) => out.push(d.toString()))
  child.stderr?.on('data', (d: Buffer) => err.push(d.toString()))
  const base = `http://127.0.0.1:${port}`
  const app: RunningApp = {
    base, child, stdout: () => out.join(''), stderr: () => err.join(''),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill('SIGKILL')
      await new Promise((r) => child.once('exit', r))
      return child.exitCode
    },
  }
  await poll(async () => {
    if (child.exitCode !== null) throw new Error(`${script} exited: ${app.stderr()}`)
    return (await status(`${base}/healthz`)) === 200 ? true : undefined
  }, `${script} /healthz`)
  return app
}

export interface JunitCounts { suites: { name: string; tests: number; failures: number; skipped: number; cases: { name: string; classname: string; failure?: string; skipped: boolean }[] }[]; tests: number; failures: number; skipped: number }

/** Parse JUnit XML with python3's xml.etree (a real XML parser): throws on malformed XML. */
export function parseJunit(xml: string): JunitCounts {
  const py = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
assert root.tag == 'testsuites', root.tag
out = {'tests': int(root.get('tests')), 'failures': int(root.get('failures')), 'skipped': int(root.get('skipped') or 0), 'suites': []}
for s in root.findall('testsuite'):
    cases = []
    for c in s.findall('testcase'):
        f = c.find('failure')
        cases.append({'name': c.get('name'), 'classname': c.get('classname'), 'failure': f.get('message') if f is not None else None, 'skipped': c.find('skipped') is not None})
    out['suites'].append({'name': s.get('name'), 'tests': int(s.get('tests')), 'failures': int(s.get('failures')), 'skipped': int(s.get('skipped') or 0), 'cases': cases})
print(json.dumps(out))
`
  const r = spawnSync('python3', ['-c', py], { input: xml, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`not valid JUnit XML: ${r.stderr}`)
  const parsed = JSON.parse(r.stdout) as JunitCounts
  for (const s of parsed.suites) for (const c of s.cases) if (c.failure === null) delete c.failure
  return parsed
}

export interface ForwardRecord { pid: number; key: string; port: number }

export function forwardRecords(fakeDir: string): ForwardRecord[] {
  const file = path.join(fakeDir, 'port-forwards.jsonl')
  if (!fs.existsSync(file)) return []
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ForwardRecord)
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Kill leftovers so a failing test does not leak processes into the next one. */
export function killAll(records: ForwardRecord[]): void {
  for (const r of records) { try { process.kill(r.pid, 'SIGKILL') } catch { /* gone */ } }
}

export type { ChildProcess }
