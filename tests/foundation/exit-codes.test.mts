// The exit-code table in README.md (and in every --help) is the one in errors.mts, and no code path exits with a
// number outside it.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { renderHelp } from '../../scripts/lib/shell/cli.mts'
import { EXIT } from '../../scripts/lib/shell/errors.mts'
import { REPO } from '../helpers/fakes.mts'

const table = new Set<number>(Object.values(EXIT))
const codesIn = (text: string): number[] => [...text.matchAll(/(?:^|[\s:,])(\d{1,3}) (?=[a-z`])/g)].map((m) => Number(m[1]))

test('README lists exactly the exit codes of errors.mts', () => {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')
  const para = /Exit codes \(all scripts\):([\s\S]*?)\n\n/.exec(readme)?.[1]
  assert.ok(para, 'README has the "Exit codes (all scripts):" paragraph')
  assert.equal(codesIn(para!).sort((a, b) => a - b), [...table].sort((a, b) => a - b))
})

test('--help lists exactly the exit codes of errors.mts', () => {
  const help = renderHelp({ name: 'x', summary: 'x', async run() {} })
  const line = help.slice(help.indexOf('Exit codes:'))
  assert.equal(codesIn(line.replace(/\n/g, ' ')).sort((a, b) => a - b), [...table].sort((a, b) => a - b))
})

test('no script exits with a number outside the table', () => {
  const files: string[] = []
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (/\.m?[jt]s$/.test(e.name) && !p.includes(`${path.sep}bench${path.sep}`)) files.push(p)
    }
  }
  walk(path.join(REPO, 'scripts'))
  const bad: string[] = []
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8')
    for (const m of text.matchAll(/process\.exit\((\d+)\)|exitCode: (\d+)\b|EXIT\.(\w+)/g)) {
      const ok = m[3] !== undefined ? m[3] in EXIT : table.has(Number(m[1] ?? m[2]))
      if (!ok) bad.push(`${path.relative(REPO, f)}: ${m[0]}`)
    }
  }
  assert.equal(bad, [])
})

test.run()
