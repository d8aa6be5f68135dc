#!/usr/bin/env zx
// up: from nothing to a verified platform. (Phases are being wired; see README.)
import { runCommand } from './lib/cli.mts'
import { EXIT, StepError } from './lib/errors.mts'

await runCommand({
  name: 'up',
  summary: 'create or converge the local platform: cluster, registry, Flux, add-ons, demo app, then verify it',
  async run() {
    throw new StepError({ step: 'up', message: 'not wired yet', exitCode: EXIT.usage })
  },
})
