// --check: does each forward answer its health URL? One GET each, bounded by a timeout.

import { getOnce } from '../load/driver.mts'
import type { LiveForward } from './supervisor.mts'
import { describeTarget } from './targets.mts'

export interface CheckResult { name: string; url: string; target: string; ok: boolean; status?: number; detail: string }

export async function checkForwards(forwards: readonly LiveForward[], timeoutMs = 5000): Promise<CheckResult[]> {
  return Promise.all(forwards.map(async (f) => {
    const url = new URL(f.target.healthPath, f.url)
    const r = await getOnce(url, timeoutMs)
    const ok = r.status !== undefined && r.status >= 200 && r.status < 300
    return { name: f.target.name, url: f.url, target: describeTarget(f.target), ok, ...(r.status !== undefined ? { status: r.status } : {}), detail: r.error ?? `GET ${f.target.healthPath} -> ${r.status}` }
  }))
}
