// Upgrade path: a state dir written by a version without the journal (manifest.jsonl). down removes only the files
// that version is known to write, by exact name, one by one; the user's files (and so the dir) stay.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript } from '../helpers/proc.mts'
import { tree } from './repo-copy.mts'
import { kindWorld } from './world.mts'

test('an older state dir with the user\'s files in it: the known files and bundles go, everything else stays', async () => {
  const w = await kindWorld() // writes state.json, last-run.json, grafana-admin-password as the older version did
  try {
    const bundle = path.join(w.stateDir, 'diagnostics', '2025-10-20T10-00-00-000Z')
    fs.mkdirSync(path.join(bundle, 'logs'), { recursive: true })
    for (const f of ['summary.txt', 'events.txt', 'logs/flux-system_source-controller.log']) fs.writeFileSync(path.join(bundle, f), 'x')
    fs.writeFileSync(path.join(bundle, 'my-analysis.md'), 'mine')
    fs.writeFileSync(path.join(w.stateDir, 'kind-config.yaml'), 'kind: Cluster\n')
    fs.writeFileSync(path.join(w.stateDir, 'notes.txt'), 'mine')
    fs.mkdirSync(path.join(w.stateDir, 'backups'))
    fs.writeFileSync(path.join(w.stateDir, 'backups', 'state.json'), 'mine')
    const r = await runScript('down', ['--yes'], { env: w.env })
    assert.is(r.code, 0, r.stderr)
    assert.equal(tree(w.stateDir), ['backups', 'backups/state.json', 'diagnostics', 'diagnostics/2025-10-20T10-00-00-000Z', 'diagnostics/2025-10-20T10-00-00-000Z/my-analysis.md', 'notes.txt'])
    assert.match(r.stderr, 'no record of what the suite wrote (an older version made it)')
    assert.match(r.stderr, 'holds files the suite did not write, left alone: backups, notes.txt, diagnostics/2025-10-20T10-00-00-000Z/my-analysis.md')
    assert.equal(w.clusters(), [])
  } finally {
    w.cleanup()
  }
})

test.run()
