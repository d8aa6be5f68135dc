// Optional per-tool extension modules (tools/<tool>-ext.mjs) added by the area that needs them.
import fs from 'node:fs'
import path from 'node:path'

export async function loadExtension(tool) {
  const file = path.join(import.meta.dirname, `${tool}-ext.mjs`)
  return fs.existsSync(file) ? import(file) : undefined
}
