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
  positionals: { name: '<path>', max: 2 },
  flags: {
    requests: { type: 'number', alias: 'n', description: 'how many', default: 20, integer: true, min: 1, max: 100_000 },
    rate: { type: 'number', description: 'share', min: 0, max: 1 },
    wait: { type: 'number', description: 'seconds', above: 0 },
    reporter: { type: 'string', description: 'format', choices: ['human', 'json'], default: 'human' },
    skip: { type: 'string', description: 'phases', multiple: true },
  },
  async run() {},
}

const bad = (argv: string[], s: CommandSpec = spec) => { try { parseFlags(s, argv) } catch (e) { return e as StepError } throw new Error(`accepted ${argv.join(' ')}`) }

test('flags: defaults, numbers, choices, repeatable lists', () => {
  const { flags, args } = parseFlags(spec, ['--requests', '5', '--skip', 'a,b', '--skip=c', 'pos'])
  assert.is(flags.requests, 5)
  assert.is(flags.reporter, 'human')
  assert.equal(flags.skip, ['a', 'b', 'c'])
  assert.equal(args, ['pos'])
  assert.is(parseFlags(spec, []).flags['dry-run'], false)
})

test('flags: unknown flags and bad values are usage errors that name the flag', () => {
  assert.is(bad(['--requets', '5']).exitCode, 2)
  assert.match(bad(['--requets', '5']).message, 'unknown flag --requets')
  assert.match(bad(['--requests', 'many']).message, '--requests many is not a number')
  assert.match(bad(['--reporter', 'xml']).message, 'not one of human, json')
})

test('flags: a flag that takes a value and gets none is a usage error, never an empty value', () => {
  for (const argv of [['--skip'], ['--skip='], ['--skip', '--dry-run'], ['--reporter'], ['--requests'], ['--skip', 'a', '--skip'], ['--skip', ''], ['--skip', 'a,,b'], ['-n'], ['--reporter', '--', 'x']]) {
    const e = bad(argv)
    assert.is(e.exitCode, 2, argv.join(' '))
    assert.match(e.message, / needs a value/, argv.join(' '))
  }
  assert.match(bad(['--skip', '--dry-run']).message, '--skip needs a value: --skip <value> (got the flag --dry-run; a value that starts with - is written --skip=--dry-run)')
  assert.match(bad(['--requests']).message, '--requests needs a value: --requests <n>')
})

test('flags: negative numbers are values, and every bound a number breaks is named', () => {
  assert.is(bad(['--requests', '-5']).message, '--requests must be >= 1, got -5')
  assert.is(bad(['-n', '-5']).message, '--requests must be >= 1, got -5')
  assert.is(bad(['--requests=-5']).message, '--requests must be >= 1, got -5')
  assert.is(bad(['--requests', '2.5']).message, '--requests must be a whole number, got 2.5')
  assert.is(bad(['--requests', '100001']).message, '--requests must be <= 100000, got 100001')
  assert.is(bad(['--rate', '-0.5']).message, '--rate must be >= 0, got -0.5')
  assert.is(bad(['--wait', '0']).message, '--wait must be > 0, got 0')
  assert.match(bad(['--requests', '0x10']).message, '--requests 0x10 is not a number')
  assert.match(bad(['--requests', '1e3']).message, '--requests 1e3 is not a number')
  assert.is(parseFlags(spec, ['--rate', '.5']).flags.rate, 0.5)
  assert.is(parseFlags(spec, ['-n', '7']).flags.requests, 7)
})

test('flags: positional arguments a command does not take are usage errors', () => {
  const none: CommandSpec = { name: 'status', summary: 's', async run() {} }
  assert.is(bad(['extra'], none).message, 'unexpected argument "extra": status takes no positional arguments')
  assert.is(bad(['--', '--yes'], none).exitCode, 2)
  assert.match(bad(['a', 'b', 'c']).message, 'too many arguments (3): demo takes at most 2 <path>')
  assert.equal(parseFlags(spec, ['a', 'b']).args, ['a', 'b'])
})

test('every script declares bounds for each number flag and rejects bad ones before touching anything', async () => {
  const env = { ...process.env, PATH: `/nonexistent-bin:${path.dirname(process.execPath)}`, PLATFORM_ENV_FILE: '/dev/null', NO_COLOR: '1' }
  const cases: [string, string[], RegExp][] = [
    ['up', ['--only'], /--only needs a value/],
    ['up', ['--only='], /--only needs a value/],
    ['up', ['cluster'], /unexpected argument "cluster"/],
    ['down', ['--yes', 'now'], /unexpected argument "now"/],
    ['status', ['x'], /unexpected argument/],
    ['doctor', ['x'], /unexpected argument/],
    ['sync', ['--debounce', '10'], /--debounce must be >= 50, got 10/],
    ['smoke', ['--url', 'http://127.0.0.1:9', '--requests', '-5'], /--requests must be >= 1, got -5/],
    ['load', ['--url', 'http://127.0.0.1:9', '-c', '-1'], /--concurrency must be >= 1, got -1/],
    ['forward', ['--for', '-1'], /--for must be > 0, got -1/],
    ['netpol', ['--offline', 'x', '--timeout', '-3'], /--timeout must be >= 1, got -3/],
    ['validate', ['a', 'b'], /too many arguments \(2\): validate takes at most 1 <root>/],
  ]
  for (const [script, args, re] of cases) {
    const r = await runScript(script, args, { env })
    assert.is(r.code, 2, `${script} ${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, re, `${script} ${args.join(' ')}`)
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  }
})

test('--help wins over any other flag, valid or not', async () => {
  const r = await runScript('up', ['--only', '--help'], { env: { ...process.env, PLATFORM_ENV_FILE: '/dev/null' } })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, 'npx zx scripts/up.mts')
})

test('help lists every flag with defaults and choices', () => {
  const h = renderHelp(spec)
  for (const s of ['--requests <n>', 'default: 20; whole number, 1 to 100000', 'one of: human, json', '--dry-run', '--verbose', '--json', 'npx zx scripts/demo.mts']) assert.match(h, s)
})

test('script args are found whether run through zx or node', () => {
  assert.equal(scriptArgs(['/n/node', '/p/node_modules/.bin/zx', 'scripts/up.mts', '--help']), ['--help'])
  assert.equal(scriptArgs(['/n/node', '/repo/scripts/up.mts', '-v']), ['-v'])
})

test('every script answers --help with usage, exit 0, and touches nothing', async () => {
  const scripts = fs.readdirSync(path.join(REPO, 'scripts')).filter((f) => f.endsWith('.mts'))
  assert.ok(scripts.includes('up.mts') && scripts.includes('doctor.mts'))
  const env = { ...process.env, PATH: `/nonexistent-bin:${path.dirname(process.execPath)}`, PLATFORM_ENV_FILE: '/dev/null' }
  for (const s of scripts) {
    const r = await runScript(s.replace(/\.mts$/, ''), ['--help'], { env })
    assert.is(r.code, 0, `${s} --help: ${r.stderr}`)
    assert.match(r.stdout, `npx zx scripts/${s}`)
    assert.match(r.stdout, '--help')
  }
})

test('prompts never hang without a TTY: closed stdin and an open empty pipe both fail fast naming --yes', async () => {
  const probe = path.join(REPO, 'tests', 'fixtures', 'cli', 'prompt-probe.mts')
  const env: NodeJS.ProcessEnv = { ...process.env, PLATFORM_ENV_FILE: '/dev/null' }
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
