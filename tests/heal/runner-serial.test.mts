// The test runner runs `*.serial.test.mts` files after every other file has ended, one at a time: a file that
// restarts the Docker engine must not stop the containers of files running beside it.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { REPO } from '../helpers/fakes.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

const UVU = path.join(REPO, 'node_modules', 'uvu', 'dist', 'index.mjs')

// each file logs its start, waits until the log shows `waitFor` (or gives up after 5s), logs its end
const file = (log: string, name: string, waitFor = '') => `import fs from 'node:fs'
import { test } from ${JSON.stringify(UVU)}
test(${JSON.stringify(name)}, async () => {
  fs.appendFileSync(${JSON.stringify(log)}, 'start ${name}\\n')
  for (let i = 0; i < 50 && ${JSON.stringify(waitFor)} && !fs.readFileSync(${JSON.stringify(log)}, 'utf8').includes(${JSON.stringify(waitFor)}); i++) await new Promise((r) => setTimeout(r, 100))
  fs.appendFileSync(${JSON.stringify(log)}, 'end ${name}\\n')
})
test.run()
`

test('serial files run after all others have ended, one at a time; the others still run side by side', () => {
  const dir = tempDir('runner-serial-')
  try {
    const log = path.join(dir, 'order.log')
    fs.writeFileSync(log, '')
    const tests = path.join(dir, 'tests')
    fs.mkdirSync(tests)
    // a waits until b has started: they can only both pass the wait when the runner runs them concurrently
    fs.writeFileSync(path.join(tests, 'a.test.mts'), file(log, 'a', 'start b'))
    fs.writeFileSync(path.join(tests, 'b.test.mts'), file(log, 'b'))
    fs.writeFileSync(path.join(tests, 'c.serial.test.mts'), file(log, 'c'))
    fs.writeFileSync(path.join(tests, 'd.serial.test.mts'), file(log, 'd'))
    const r = spawnSync(path.join(REPO, 'node_modules', '.bin', 'node'), [path.join(REPO, 'scripts', 'test-runner.mjs'), '--no-typecheck'], {
      cwd: REPO, env: { ...process.env, TEST_RUNNER_TESTS_DIR: tests, TEST_CONCURRENCY: '4' }, encoding: 'utf8', timeout: 120_000,
    })
    assert.is(r.status, 0, r.stdout + r.stderr)
    assert.match(r.stdout, '4 passed, 0 failed')
    const order = fs.readFileSync(log, 'utf8').trim().split('\n')
    const at = (l: string) => order.indexOf(l)
    assert.ok(at('start b') < at('end a'), `a and b side by side: ${order.join(', ')}`)
    const lastOther = Math.max(at('end a'), at('end b'))
    assert.ok(at('start c') > lastOther && at('start d') > lastOther, `serial files after the others: ${order.join(', ')}`)
    assert.ok(at('end c') < at('start d') || at('end d') < at('start c'), `one serial file at a time: ${order.join(', ')}`)
  } finally {
    removeDir(dir)
  }
})

test.run()
