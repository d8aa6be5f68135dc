// The down flow: observe -> choose (prompts on a TTY, flags otherwise) -> plan -> execute -> observe again ->
// leftovers. Nothing is deleted before the last question is answered; Ctrl-C at any prompt deletes nothing.

import { printJson, type Context, type FlagValues } from '../shell/cli.mts'
import { EXIT, StepError } from '../shell/errors.mts'
import { canPrompt, confirm, multiselect } from '../shell/prompt.mts'
import { readState } from '../shell/state.mts'
import { execute } from './execute.mts'
import { observe, type ObserveInput } from './observe.mts'
import { defaultChoices, findLeftovers, listItems, observationNotes, planTeardown } from './plan.mts'
import { buildReport, confirmMessage, renderInventory, renderPlan, renderSummary, type DownReport } from './report.mts'
import type { Choices, Item, Plan } from './types.mts'

export interface DownFlags extends FlagValues {
  yes: boolean
  all: boolean
  'delete-registry': boolean
}

const out = (text: string) => process.stderr.write(`${text}\n`)

function needYes(ctx: Context<DownFlags>): StepError {
  const what = ctx.config.provider === 'kind' ? `the kind cluster "${ctx.config.clusterName}"` : `what up installed into context "${ctx.config.kubeContext}"`
  return new StepError({
    step: 'down',
    message: `needs confirmation but stdin is not a terminal: it deletes ${what} and the local state`,
    hint: 're-run with --yes (keeps the registry and the local CA; add --all to delete both, --delete-registry for the registry only), or --dry-run to see what it would delete',
    exitCode: EXIT.precondition,
  })
}

async function choose(items: Item[]): Promise<Choices> {
  const choosable = items.filter((i) => i.choosable)
  const selected = await multiselect({
    step: 'down',
    flag: '--yes',
    message: 'Select what to delete',
    choices: choosable.map((i) => ({ name: i.id, message: i.title, hint: i.hint, enabled: i.byDefault })),
  })
  return { selected }
}

function finish(ctx: Context<DownFlags>, report: DownReport): number {
  if (ctx.json) printJson(report)
  out(renderSummary(report))
  if (report.leftovers.length) {
    ctx.ui.error(`down: ${report.leftovers.length} thing${report.leftovers.length === 1 ? '' : 's'} left over: ${report.leftovers.join('; ')} — re-run down, or remove them by hand`)
    return EXIT.checkFailed
  }
  const failed = report.actions.filter((a) => a.result === 'failed')
  if (failed.length) {
    ctx.ui.error(`down: ${failed.length} step${failed.length === 1 ? '' : 's'} failed, but nothing is left over`)
  }
  return EXIT.ok
}

export async function runDown(ctx: Context<DownFlags>): Promise<number> {
  const interactive = canPrompt()
  const ask = interactive && !ctx.flags.yes && !ctx.dryRun
  if (!interactive && !ctx.flags.yes && !ctx.dryRun) throw needYes(ctx)

  const state = readState(ctx.stateDir)
  const input: ObserveInput = { runner: ctx.runner, config: ctx.config, state, stateDir: ctx.stateDir, root: ctx.root }
  const before = await ctx.ui.step('looking for what up created', () => observe(input))
  const items = listItems(before, { deleteRegistry: ctx.flags.all || ctx.flags['delete-registry'], deleteCa: ctx.flags.all })
  let plan: Plan = planTeardown(before, defaultChoices(items))

  if (ask && items.some((i) => i.choosable)) {
    out(renderInventory(before, items))
    const notes = observationNotes(before)
    if (notes.length) out(notes.map((n) => `  note: ${n}`).join('\n'))
    plan = planTeardown(before, await ctx.ui.pause(() => choose(items)))
    // bookkeeping alone (forgetting dead port-forwards) is not worth a question
    if (plan.actions.every((a) => a.kind === 'update-state')) {
      out('Nothing selected: nothing deleted.')
      return EXIT.ok
    }
    out(renderPlan(plan))
    const yes = await ctx.ui.pause(() => confirm({ step: 'down', flag: '--yes', message: confirmMessage(before, plan), initial: false }))
    if (!yes) {
      out('Not confirmed: nothing deleted.')
      return EXIT.ok
    }
  }

  if (ctx.dryRun) {
    const report = buildReport({ observed: before, plan, dryRun: true })
    if (ctx.json) printJson(report)
    else process.stdout.write(`${renderPlan(plan)}\n(dry run: nothing was deleted)\n`)
    return EXIT.ok
  }

  if (!ask && !ctx.json) out(renderPlan(plan))
  const result = await execute({ plan, runner: ctx.runner, ui: ctx.ui, config: ctx.config, signal: ctx.signal, releaseLock: ctx.lock?.release })
  // the state read before (not the deleted file) still says what up created, e.g. the kind network
  const after = await ctx.ui.step('checking that nothing is left over', () => observe({ ...input, again: true }))
  const leftovers = findLeftovers({ plan, before, after, stillRunning: result.stillRunning })
  return finish(ctx, buildReport({ observed: before, plan, dryRun: false, actions: result.reports, leftovers }))
}
