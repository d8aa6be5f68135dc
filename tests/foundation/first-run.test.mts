// A newcomer never meets a stack trace: `npx zx scripts/<x>.mts` before `npm ci` (or on a Node that cannot run
// .mts) prints one line saying to run `npm ci`, through the preload .npmrc gives every Node npm starts; and
// package.json tells the truth about which Node runs what.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { REPO } from '../helpers/fakes.mts'
import { runNode } from '../helpers/proc.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

/** What .npmrc's node-options must be: scripts/dev/first-run.mjs as one line, percent-encoded as a data: URL. */
function expectedNodeOptions(): string {
  const code = fs.readFileSync(path.join(REPO, 'scripts', 'dev', 'first-run.mjs'), 'utf8').split('\n').filter((l) => l && !l.startsWith('//')).join('')
  const special: Record<string, string> = { ' ': '%20', ';': '%3B', '#': '%23', $: '%24', '%': '%25', '"': '%22', "'": '%27', '\\': '%5C', '?': '%3F' }
  const enc = [...code].map((c) => special[c] ?? (c.charCodeAt(0) > 127 ? [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('') : c)).join('')
  return `--import=data:text/javascript,${enc}`
}

const npmrc = () => Object.fromEntries(fs.readFileSync(path.join(REPO, '.npmrc'), 'utf8').split('\n').filter((l) => l && !/^[;#]/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))

test('.npmrc preloads exactly scripts/dev/first-run.mjs', () => {
  const want = expectedNodeOptions()
  assert.ok(npmrc()['node-options'] === want, `regenerate the node-options line of .npmrc:\nnode-options=${want}`)
})

function bareCheckout(): string {
  const dir = tempDir('first-run-')
  fs.mkdirSync(path.join(dir, 'scripts'))
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(dir, 'package.json'))
  fs.copyFileSync(path.join(REPO, 'scripts', 'doctor.mts'), path.join(dir, 'scripts', 'doctor.mts'))
  return dir
}

const zx = path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js')

test('before npm ci: one line that says to run npm ci, exit 3, no stack trace (Node 24 and the system Node)', async () => {
  const dir = bareCheckout()
  try {
    const env = { ...process.env, NODE_OPTIONS: npmrc()['node-options'] }
    const nodes = [process.execPath]
    // the machine's own Node, e.g. 20: it cannot load .mts at all
    try {
      const sys = execFileSync('sh', ['-c', 'command -v node'], { env: { ...process.env, PATH: '/usr/local/bin:/usr/bin:/bin' }, encoding: 'utf8' }).trim()
      if (sys && fs.realpathSync(sys) !== fs.realpathSync(process.execPath)) nodes.push(sys)
    } catch { /* no system node */ }
    for (const node of nodes) {
      const r = await new Promise<Awaited<ReturnType<typeof runNode>>>((resolve) => {
        void import('node:child_process').then(({ spawn }) => {
          const child = spawn(node, [zx, 'scripts/doctor.mts'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
          let stdout = ''
          let stderr = ''
          child.stdout.on('data', (d) => { stdout += d })
          child.stderr.on('data', (d) => { stderr += d })
          child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
        })
      })
      assert.is(r.code, 3, `${node}: ${r.stderr}`)
      const lines = r.stderr.trim().split('\n')
      assert.is(lines.length, 1, r.stderr)
      assert.match(lines[0]!, /^✖ setup: .* — run npm ci first/)
      assert.not.match(r.stderr, /\n\s+at |ERR_|Error/)
    }
  } finally {
    removeDir(dir)
  }
})

test('after npm ci the preload does nothing: the scripts and plain node run as before', async () => {
  const env = { ...process.env, NODE_OPTIONS: npmrc()['node-options'], PLATFORM_ENV_FILE: '/dev/null' }
  const r = await runNode([zx, path.join(REPO, 'scripts', 'doctor.mts'), '--help'], { env })
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stderr, '')
  const plain = await runNode(['-e', 'console.log("ok")'], { env })
  assert.is(plain.stdout, 'ok\n')
})

test('a .mts outside any package (no package.json above it, e.g. a generated test file in /tmp) runs under the preload', async () => {
  const dir = tempDir('first-run-loose-')
  try {
    const file = path.join(dir, 'loose.mts')
    fs.writeFileSync(file, 'const n: number = 42\nconsole.log(`loose ${n}`)\n')
    const r = await runNode([file], { env: { ...process.env, NODE_OPTIONS: npmrc()['node-options'] } })
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stdout, 'loose 42\n')
  } finally {
    removeDir(dir)
  }
})

test('package.json tells the truth: the scripts need Node >= 22.18 (npm ci brings 24); npm ci itself works on Node 20', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'))
  assert.is(pkg.engines.node, '>=22.18.0')
  const [major, minor] = String(pkg.dependencies.node).split('.').map(Number) as [number, number]
  assert.ok(major > 22 || (major === 22 && minor >= 18), 'the pinned node package satisfies engines')
  assert.is(pkg.devEngines.runtime.name, 'node')
  assert.is(pkg.devEngines.runtime.version, '>=20')
  assert.is(npmrc().loglevel, 'error')
})

test.run()
