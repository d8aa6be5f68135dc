// Start-up: `--help` of every script loads the flag table and the cli module only (no yaml, ora, enquirer,
// schemas, phases or engines), and the modules a command loads later go through Node's compile cache.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PHASES } from '../../scripts/lib/up/phases.mts'
import { PHASE_IDS } from '../../scripts/lib/up/phase-ids.mts'
import { REPO } from '../helpers/fakes.mts'
import { runScript } from '../helpers/proc.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const SCRIPTS = fs.readdirSync(path.join(REPO, 'scripts')).filter((f) => f.endsWith('.mts')).map((f) => f.replace(/\.mts$/, '')).sort()
const TRACER = path.join(REPO, 'tests', 'fixtures', 'cli', 'trace-imports.mjs')

/** What a flag table may pull in besides the entry itself: the cli module and small constant modules. */
const FLAG_TABLE = /^scripts\/lib\/(shell\/(cli|compile-cache|errors|redact|color|state|manifest|ui)|up\/(phase-ids|types|wording)|validate\/gitops-dirs|netpol\/flags|forward\/(targets|backoff)|reporters\/\w+|down\/types)\.mts$/

test('--help of every script loads only its flag table and the cli module', async () => {
  assert.ok(SCRIPTS.length >= 10, SCRIPTS.join(' '))
  const dir = tempDir('startup-')
  try {
    for (const name of SCRIPTS) {
      const trace = path.join(dir, `${name}.txt`)
      const r = await runScript(name, ['--help'], { env: { ...process.env, NODE_OPTIONS: `--import ${TRACER}`, TRACE_IMPORTS_FILE: trace } })
      assert.is(r.code, 0, `${name} --help: ${r.stderr}`)
      const urls = fs.readFileSync(trace, 'utf8').split('\n').filter((u) => u.startsWith('file:'))
      const files = urls.map((u) => path.relative(REPO, new URL(u).pathname))
      const packages = [...new Set(files.filter((f) => f.includes('node_modules/')).map((f) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f)![1]!))]
      assert.equal(packages, ['zx'], `${name} --help loads npm packages besides zx: ${packages.join(', ')}`)
      const ours = files.filter((f) => f.startsWith('scripts/lib/'))
      const heavy = ours.filter((f) => !FLAG_TABLE.test(f))
      assert.equal(heavy, [], `${name} --help loads modules the flag table does not need (import them inside run)`)
    }
  } finally {
    removeDir(dir)
  }
})

test("up --help names the phases without loading them: PHASE_IDS is PHASES' order", () => {
  assert.equal([...PHASE_IDS], PHASES.map((p) => p.id))
})

test('modules a command loads after start-up are compiled once and cached (type-stripped .mts included) under node_modules/.cache', async () => {
  const empty = tempDir('startup-empty-')
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' }
    delete env.NODE_COMPILE_CACHE
    delete env.NODE_DISABLE_COMPILE_CACHE
    // validate imports its modules, then refuses a directory that is no checkout (exit 2)
    for (let i = 0; i < 2; i++) {
      const r = await runScript('validate', [empty], { env })
      assert.is(r.code, 2, r.stderr)
      if (i === 0) continue
      const cacheDir = path.join(REPO, 'node_modules', '.cache', 'node-compile-cache')
      assert.ok(r.stderr.includes(cacheDir), `the cache lives in ${cacheDir}:\n${r.stderr.slice(0, 2000)}`)
      assert.match(r.stderr, /retrieving transpile cache for StrippedTypeScript file:\/\/\S+\/scripts\/lib\/validate\/run\.mts\.*success/)
    }
  } finally {
    removeDir(empty)
  }
})

test.run()
