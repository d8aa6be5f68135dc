// Where the Grafana admin password lives: a generated one in the state dir (0600), yours nowhere on disk.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { grafanaPasswordFile, resolveGrafanaPassword } from '../../scripts/lib/secrets/grafana.mts'
import { removeDir, tempDir } from '../helpers/tmp.mts'

test('a password you set is used as is and never marked for writing; a stored one is marked for removal', () => {
  const dir = tempDir()
  try {
    const fresh = resolveGrafanaPassword('my-own-grafana-password', dir)
    assert.is(fresh.source, 'GRAFANA_ADMIN_PASSWORD')
    assert.is(fresh.write, false)
    assert.is(fresh.removeStored, false)
    fs.writeFileSync(grafanaPasswordFile(dir), 'generated-earlier\n')
    const over = resolveGrafanaPassword('my-own-grafana-password', dir)
    assert.is(over.password, 'my-own-grafana-password')
    assert.is(over.write, false)
    assert.is(over.removeStored, true)
  } finally {
    removeDir(dir)
  }
})

test('without one, a password is generated once and then reused from the state dir', () => {
  const dir = tempDir()
  try {
    const first = resolveGrafanaPassword('', dir)
    assert.is(first.source, 'generated')
    assert.is(first.write, true)
    fs.writeFileSync(path.join(dir, 'grafana-admin-password'), `${first.password}\n`)
    const again = resolveGrafanaPassword('', dir)
    assert.is(again.source, 'state file')
    assert.is(again.password, first.password)
    assert.is(again.write, false)
  } finally {
    removeDir(dir)
  }
})

test.run()
