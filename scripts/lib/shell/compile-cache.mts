// Node's on-disk compile cache for every module the scripts load after this one (imported first by cli.mts).
// On Node 24 it also keeps the type-stripped output of our .mts files, so a second run neither strips types nor
// compiles again. It lives in node_modules/.cache (git-ignored, gone with `rm -rf node_modules`, never in the
// tracked tree); NODE_COMPILE_CACHE=<dir> overrides where, NODE_DISABLE_COMPILE_CACHE=1 turns it off.
// It only speeds up: a cache that cannot be written is ignored, and a changed file simply misses.

import fs from 'node:fs'
import module from 'node:module'
import path from 'node:path'

const nodeModules = path.resolve(import.meta.dirname, '..', '..', '..', 'node_modules')

if (!process.env.NODE_COMPILE_CACHE && fs.existsSync(nodeModules)) {
  module.enableCompileCache?.(path.join(nodeModules, '.cache', 'node-compile-cache'))
} else {
  module.enableCompileCache?.()
}
