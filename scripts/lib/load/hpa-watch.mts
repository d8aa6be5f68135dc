// Polls the demo app's HPA while load runs, so the live line can show the autoscaler reacting.
// A failed poll (metrics-server not ready, context gone) is shown, never fatal.

import type { Runner } from '../shell/run.mts'
import { getHpaJson } from '../tools/kubectl.mts'
import { emptyTimeline, observeHpa, parseHpa, type HpaTimeline } from './hpa.mts'
import type { HpaView } from './render.mts'

export interface HpaWatch {
  readonly view: HpaView
  readonly timeline: HpaTimeline
  stop(): Promise<void>
}

export interface HpaWatchOptions {
  runner: Runner
  context: string
  namespace: string
  name?: string
  intervalMs: number
  /** ms since the load started, for the timeline */
  elapsed: () => number
}

export function watchHpa(o: HpaWatchOptions): HpaWatch {
  let view: HpaView = {}
  let timeline = emptyTimeline()
  let stopped = false
  let wake: (() => void) | undefined

  const pollOnce = async () => {
    const r = await getHpaJson(o.runner, o.context, o.namespace, o.name ?? 'demo', 'load/hpa').catch((e: Error) => ({ ok: false, json: '', error: e.message }))
    // an answer that lands just after the load ended is still a true reading: keep it
    if (!r.ok) {
      view = { error: r.error }
      timeline = observeHpa(timeline, undefined, o.elapsed())
      return
    }
    try {
      const status = parseHpa(r.json)
      view = { status }
      timeline = observeHpa(timeline, status, o.elapsed())
    } catch (e) {
      view = { error: (e as Error).message }
      timeline = observeHpa(timeline, undefined, o.elapsed())
    }
  }

  const loop = (async () => {
    while (!stopped) {
      await pollOnce()
      if (stopped) break
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.intervalMs)
        wake = () => { clearTimeout(t); resolve() }
      })
    }
  })()

  return {
    get view() { return view },
    get timeline() { return timeline },
    async stop() {
      stopped = true
      wake?.()
      // Without a single reading the summary has nothing to say about the HPA: wait for the first poll, however
      // slow kubectl is today (its own timeout bounds it; Ctrl-C kills it). Otherwise do not wait for long.
      if (timeline.polls === 0) await loop
      else await Promise.race([loop, new Promise((r) => setTimeout(r, 2000).unref())])
    },
  }
}
