import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createUi, renderTable, isInteractiveOutput } from '../../scripts/lib/shell/ui.mts'
import { colorEnabled } from '../../scripts/lib/shell/color.mts'

function sink(isTTY = false) {
  const chunks: string[] = []
  return { stream: { isTTY, write: (s: string) => { chunks.push(s); return true } } as unknown as NodeJS.WriteStream, text: () => chunks.join('') }
}

test('not a TTY: timestamped start and end lines with the elapsed time', async () => {
  const s = sink()
  let t = Date.UTC(2026, 0, 1, 12, 0, 0)
  const ui = createUi({ stream: s.stream, env: {}, now: () => t })
  await ui.step('create cluster', async (h) => { h.update('waiting for control plane'); t += 2500 })
  assert.is(s.text(), '12:00:00 ▶ create cluster\n12:00:00   create cluster: waiting for control plane\n12:00:02 ✔ create cluster (2.5s)\n')
  assert.equal(ui.timings, [{ title: 'create cluster', status: 'ok', ms: 2500 }])
})

test('a failed step is marked, timed, and the error propagates', async () => {
  const s = sink()
  const ui = createUi({ stream: s.stream, env: {} })
  try { await ui.step('flux', async () => { throw new Error('boom') }) } catch (e) { assert.is((e as Error).message, 'boom') }
  assert.match(s.text(), '✖ flux')
  assert.is(ui.timings.at(-1)!.status, 'failed')
})

test('spinners only on an interactive terminal outside CI; colours honour NO_COLOR', () => {
  assert.is(isInteractiveOutput({ isTTY: true }, {}), true)
  assert.is(isInteractiveOutput({ isTTY: true }, { CI: 'false' }), false)
  assert.is(isInteractiveOutput({ isTTY: false }, {}), false)
  assert.is(colorEnabled({ isTTY: true }, { NO_COLOR: '1' }), false)
  assert.is(colorEnabled({ isTTY: false }, {}), false)
  assert.is(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' }), true)
})

test('tables align columns', () => {
  assert.is(renderTable(['a', 'bb'], [['xxx', 'y']]), 'a    bb\n---  --\nxxx  y')
})

test.run()
