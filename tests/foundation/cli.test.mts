import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseFlags, renderHelp, scriptArgs, type CommandSpec } from '../../scripts/lib/shell/cli.mts'
import { StepError } from '../../scripts/lib/shell/errors.mts'
import { REPO } from '../helpers/fakes.mts'
import { runNode, runScript } from '../helpers/proc.mts'

const spec: CommandSpec = {
  name: 'demo',
  summary: 'a demo',
  flags: {
    requests: { type: 'number', description: 'how many', default: 20 },
    reporter: { type: 'string', description: 'format', choices: ['human', 'json'], default: 'human' },
    skip: { type: 'string', description: 'phases', multiple: true },
  },
  async run() {},
}

test('flags: defaults, numbers, choices, repeatable lists', () => {
  const { flags, args } = parseFlags(spec, ['--requests', '5', '--skip', 'a,b', '--skip=c', 'pos'])
  assert.is(flags.requests, 5)
  assert.is(flags.reporter, 'human')
  assert.equal(flags.skip, ['a', 'b', 'c'])
  assert.equal(args, ['pos'])
  assert.is(parseFlags(spec, []).flags['dry-run'], false)
})

test('flags: unknown flags and bad values are usage errors that name the flag', () => {
  const bad = (argv: string[]) => { try { parseFlags(spec, argv) } catch (e) { return e as StepError } throw new Error('accepted') }
  assert.is(bad(['--requets', '5']).exitCode, 2)
  assert.match(bad(['--requets', '5']).message, 'unknown flag --requets')
  assert.match(bad(['--requests', 'many']).message, '--requests many is not a number')
  assert.match(bad(['--reporter', 'xml']).message, 'not one of human, json')
})

test('help lists every flag with defaults and choices', () => {
  const h = renderHelp(spec)
  for (const s of ['--requests <n>', 'default: 20', 'one of: human, json', '--dry-run', '--verbose', '--json', 'npx zx scripts/demo.mts']) assert.match(h, s)
})

test('script args are found whether run through zx or node', () => {
  assert.equal(scriptArgs(['/n/node', '/p/node_modules/.bin/zx', 'scripts/up.mts', '--help']), ['--help'])
  assert.equal(scriptArgs(['/n/node', '/repo/scripts/up.mts', '-v']), ['-v'])
})

test('every script answers --help with usage, exit 0, and touches nothing', async () => {
  const scripts = fs.readdirSync(path.join(REPO, 'scripts')).filter((f) => f.endsWith('.mts'))
  assert.ok(scripts.includes('up.mts') && scripts.includes('doctor.mts'))
  const env = { ...process.env, PATH: `/nonexistent-bin:${path.dirname(process.execPath)}`, PLATFORM_ENV_FILE: '/nonexistent/.env' }
  for (const s of scripts) {
    const r = await runScript(s.replace(/\.mts$/, ''), ['--help'], { env })
    assert.is(r.code, 0, `${s} --help: ${r.stderr}`)
    assert.match(r.stdout, `npx zx scripts/${s}`)
    assert.match(r.stdout, '--help')
  }
})

test('prompts never hang without a TTY: closed stdin and an open empty pipe both fail fast naming --yes', async () => {
  const probe = path.join(REPO, 'tests', 'fixtures', 'cli', 'prompt-probe.mts')
  const env: NodeJS.ProcessEnv = { ...process.env, PLATFORM_ENV_FILE: '/nonexistent/.env' }
  delete env.CI
  for (const stdin of ['closed', 'open'] as const) {
    const r = await runNode([path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), probe], { env, stdin, timeoutMs: 20_000 })
    assert.is(r.signal, null, `hung with stdin ${stdin}`)
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, '--yes')
    assert.not.match(r.stdout, 'answer=')
  }
  const yes = await runNode([path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js'), probe, '--yes'], { env, timeoutMs: 20_000 })
  assert.is(yes.code, 0)
  assert.match(yes.stdout, 'answer=true')
})

test.run()
