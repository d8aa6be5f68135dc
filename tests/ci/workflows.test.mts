// The GitHub workflows cannot run here, so they are held to the repository: every `npx zx scripts/<x>.mts`
// they run exists and accepts every flag it is given (checked against the script's real --help), every action
// and tool version is pinned, downloads are checksum-verified, and teardown always runs.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { REPO } from '../helpers/fakes.mts'
import { checkActionPins, checkArgs, checkVerifiedInstalls, helpFlags, invocations, mentionsLatest, parseWorkflow, shellWords, type Workflow } from './lint.mts'

const DIR = path.join(REPO, '.github', 'workflows')
const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort() : []
const texts = new Map(files.map((f) => [f, fs.readFileSync(path.join(DIR, f), 'utf8')]))
const workflows = new Map<string, Workflow>()
for (const [f, t] of texts) workflows.set(f, parseWorkflow(t, f))

const ZX = path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js')
const helpCache = new Map<string, { code: number | null; out: string; err: string }>()
function help(script: string) {
  let h = helpCache.get(script)
  if (!h) {
    const r = spawnSync(process.execPath, [ZX, path.join(REPO, script), '--help'], { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, CI: '1', NO_COLOR: '1', PLATFORM_ENV_FILE: '/dev/null' } })
    h = { code: r.status, out: r.stdout, err: r.stderr }
    helpCache.set(script, h)
  }
  return h
}

const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps ?? [])

test('the two workflows exist and parse', () => {
  assert.equal(files, ['e2e.yml', 'tests.yml'])
  for (const [f, wf] of workflows) {
    assert.ok(Object.keys(wf.jobs).length > 0, f)
    assert.equal(wf.permissions, { contents: 'read' }, `${f}: least privilege`)
    for (const [name, job] of Object.entries(wf.jobs)) {
      assert.is(job['runs-on'], 'ubuntu-24.04', `${f} ${name}: pinned runner image`)
      assert.type(job['timeout-minutes'], 'number', `${f} ${name}: bounded`)
      for (const s of job.steps ?? []) assert.ok(Boolean(s.run) !== Boolean(s.uses), `${f} ${name}: a step has run or uses: ${JSON.stringify(s)}`)
    }
  }
})

test('every `npx zx scripts/<x>.mts` names an existing script and only flags its --help lists', () => {
  const problems: string[] = []
  let count = 0
  for (const [f, wf] of workflows) {
    for (const inv of invocations(wf)) {
      count++
      if (!fs.existsSync(path.join(REPO, inv.script))) { problems.push(`${f} ${inv.job} / ${inv.step}: ${inv.script} does not exist`); continue }
      const h = help(inv.script)
      if (h.code !== 0) { problems.push(`${f}: ${inv.script} --help exited ${h.code}: ${h.err.trim().split('\n').at(-1)}`); continue }
      problems.push(...checkArgs(inv, helpFlags(h.out)).map((p) => `${f} ${p}`))
      // files the command reads must exist; what it writes must land where the artifact upload looks
      for (let i = 0; i < inv.args.length; i++) {
        const a = inv.args[i]!
        if (a === '--output' || a === '--assert') {
          const file = inv.args[i + 1] ?? ''
          if (a === '--assert' && !fs.existsSync(path.join(REPO, file))) problems.push(`${f} ${inv.step}: --assert ${file} does not exist`)
          if (a === '--output' && !file.startsWith('reports/')) problems.push(`${f} ${inv.step}: --output ${file} is not under reports/ (uploaded)`)
        }
      }
      if (inv.redirect && !inv.redirect.startsWith('reports/')) problems.push(`${f} ${inv.step}: writes ${inv.redirect}, not under reports/`)
    }
  }
  assert.ok(count >= 8, `only ${count} script invocations found`)
  assert.equal(problems, [])
})

test('tests.yml: npm test, validate and the offline netpol assertions on every push', () => {
  const wf = workflows.get('tests.yml')!
  assert.ok(wf.on && typeof wf.on === 'object' && 'push' in (wf.on as object))
  const runs = steps(wf).map((s) => s.run ?? '').join('\n')
  assert.match(runs, /npm ci\b/)
  assert.match(runs, /^npm test$/m)
  const scripts = invocations(wf).map((i) => [i.script, ...i.args].join(' '))
  assert.ok(scripts.includes('scripts/validate.mts'), scripts.join('\n'))
  assert.ok(scripts.some((s) => s.startsWith('scripts/netpol.mts') && (s.includes('--offline') || s.includes('--repo')) && s.includes('--assert apps/netpol-assertions.yaml')), scripts.join('\n'))
})

test('e2e.yml: up --yes, junit smoke and netpol, artifacts (diagnostics included) and down --yes --all always', () => {
  const wf = workflows.get('e2e.yml')!
  const list = steps(wf)
  const line = (s: { run?: string }) => invocations({ jobs: { j: { steps: [s] } } }).map((i) => [i.script, ...i.args].join(' '))
  const idx = (re: RegExp) => list.findIndex((s) => line(s).some((l) => re.test(l)))
  const up = idx(/^scripts\/up\.mts .*--yes/)
  const smoke = idx(/^scripts\/smoke\.mts .*--reporter junit .*--output reports\/smoke\.xml/)
  const netpol = idx(/^scripts\/netpol\.mts .*junit/)
  const down = idx(/^scripts\/down\.mts --yes --all$/)
  assert.ok(up >= 0 && smoke > up && netpol > up, `up ${up}, smoke ${smoke}, netpol ${netpol}`)
  // every check after up runs even when another check failed (each is its own report), but not without a platform
  for (const i of [smoke, netpol]) assert.match(String(list[i]!.if), /!cancelled\(\) && steps\.up\.outcome == 'success'/)
  assert.is(list[up]!.id, 'up')
  assert.is(down, list.length - 1, 'down is the last step')
  assert.is(list[down]!.if, 'always()')
  const upload = list.findIndex((s) => s.uses?.startsWith('actions/upload-artifact@'))
  assert.ok(upload > netpol && upload < down, 'reports are uploaded after the checks and before down')
  assert.is(list[upload]!.if, 'always()')
  const w = list[upload]!.with ?? {}
  assert.is(w['include-hidden-files'], true, '.platform is a dot-directory')
  const paths = String(w.path).split('\n').map((p) => p.trim()).filter(Boolean)
  assert.ok(paths.includes('reports/') && paths.includes('.platform/diagnostics/'), paths.join(', '))
  // no step disables CI detection: the scripts rely on CI=true from Actions for plain log lines
  assert.not.ok(Object.keys(wf.jobs.kind?.env ?? {}).includes('CI'))
})

test('actions are pinned by commit SHA (with the version as a comment) or version tag', () => {
  for (const [f, wf] of workflows) assert.equal(checkActionPins(texts.get(f)!, wf, f), [])
  // and the checker does catch the bad ones
  const bad = parseWorkflow('jobs:\n  a:\n    steps:\n      - uses: actions/checkout@main\n      - uses: actions/cache@0123456789012345678901234567890123456789\n      - uses: x/y@v4\n', 'bad.yml')
  assert.is(checkActionPins('', bad, 'bad.yml').length, 2)
})

test('tool versions: pinned in cluster/versions.yaml, read from there, never "latest"; Node matches package.json', () => {
  const versions = YAML.parse(fs.readFileSync(path.join(REPO, 'cluster', 'versions.yaml'), 'utf8'))
  for (const tool of ['kind', 'helm', 'flux', 'kubectl']) assert.match(String(versions[tool]?.version), /^v\d+\.\d+\.\d+$/, `${tool}.version`)
  assert.match(String(versions.kind.nodeImage), /^kindest\/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/)
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'))
  for (const [f, text] of texts) {
    assert.equal(mentionsLatest(text), [], `${f} mentions latest`)
    const wf = workflows.get(f)!
    for (const [name, job] of Object.entries(wf.jobs)) {
      const all = job.steps ?? []
      const reader = all.find((s) => (s.run ?? '').includes('cluster/versions.yaml') && (s.run ?? '').includes('GITHUB_ENV'))
      const used = new Set([...JSON.stringify(all).matchAll(/PIN_([A-Z]+)_VERSION/g)].map((m) => m[1]!))
      if (used.size) {
        assert.ok(reader, `${f} ${name}: PIN_*_VERSION used but never read from cluster/versions.yaml`)
        for (const tool of used) assert.match(reader!.run!, new RegExp(`PIN_${tool}_VERSION: v\\.${tool.toLowerCase()}\\.version`), `${f} ${name}: PIN_${tool}_VERSION`)
      }
      for (const s of all.filter((x) => x.uses?.startsWith('actions/setup-node@'))) assert.is(String(s.with?.['node-version']), pkg.dependencies.node, `${f}: setup-node = package.json node`)
      for (const s of all.filter((x) => /\bcurl\b/.test(x.run ?? ''))) assert.equal(checkVerifiedInstalls(s.run!), [], `${f} ${name}: ${s.name}`)
      for (const s of all.filter((x) => x.uses?.startsWith('actions/cache@'))) {
        for (const tool of used) assert.ok(String(s.with?.key).includes(`env.PIN_${tool}_VERSION`), `${f}: cache key lacks ${tool}'s version`)
      }
    }
  }
  // every tool the e2e job downloads is verified: 4 installs, 4 checks
  const install = steps(workflows.get('e2e.yml')!).find((s) => /kind-linux-amd64/.test(s.run ?? ''))!
  assert.is((install.run!.match(/sha256sum -c/g) ?? []).length, 4)
  assert.equal(checkVerifiedInstalls('fetch x kind\ninstall -m 0755 kind /bin/kind\n'), ['installs kind without a checksum verification before it'])
})

test('lint helpers: shell words, invocations with redirects, help parsing, flag checks', () => {
  assert.equal(shellWords(`npx zx scripts/a.mts --x 'a b' "c" # note`), ['npx', 'zx', 'scripts/a.mts', '--x', 'a b', 'c'])
  const wf = parseWorkflow([
    'jobs:',
    '  j:',
    '    steps:',
    '      - name: one',
    '        run: |',
    '          mkdir -p reports',
    '          npx zx scripts/load.mts --env dev \\',
    '            -c 8 --json > reports/x.json && echo done',
    '          npx zx scripts/forward.mts --bogus 2>&1 | tee log',
  ].join('\n'), 'w.yml')
  const inv = invocations(wf)
  assert.equal(inv.map((i) => [i.script, i.args, i.redirect]), [['scripts/load.mts', ['--env', 'dev', '-c', '8', '--json'], 'reports/x.json'], ['scripts/forward.mts', ['--bogus'], undefined]])
  const flags = helpFlags([
    'Flags:',
    '  -h, --help                print this help and exit',
    '      --env <env>           environment (one of: dev, staging, production)',
    '  -c, --concurrency <n>     workers (default: 10)',
    '      --json                machine-readable',
  ].join('\n'))
  assert.equal(flags.map((f) => f.long), ['help', 'env', 'concurrency', 'json'])
  assert.equal(checkArgs(inv[0]!, flags), [])
  assert.equal(checkArgs({ ...inv[0]!, args: ['--env', 'qa', '-x', '--concurrency'] }, flags), [
    'j / one: scripts/load.mts: --env qa is not one of dev, staging, production',
    'j / one: scripts/load.mts: -x is not a flag of this script',
    'j / one: scripts/load.mts: --concurrency needs a value',
  ])
  assert.equal(checkArgs(inv[1]!, flags), ['j / one: scripts/forward.mts: --bogus is not a flag of this script'])
})

test.run()
