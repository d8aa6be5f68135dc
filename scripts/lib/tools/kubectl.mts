// kubectl adapter. Only this file runs `kubectl`. Every cluster call names its --context explicitly,
// so a current-context that points elsewhere (a cloud cluster) is never touched by accident.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Runner } from '../run.mts'
import { originWrapper } from '../validate/origin.mts'

export async function kubectlClientVersion(r: Runner, step = 'kubectl'): Promise<string | undefined> {
  const res = await r.run('kubectl', ['version', '--client', '-o', 'json'], { step, nothrow: true, timeoutMs: 10_000 })
  if (!res.ok) return undefined
  try {
    return (JSON.parse(res.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion
  } catch {
    return undefined
  }
}

/** `kubectl kustomize` with the options Flux's kustomize-controller uses. Read-only: runs under --dry-run. */
export async function kustomizeBuild(r: Runner, dir: string, step = 'kustomize'): Promise<string> {
  const res = await r.run('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', dir], { step, timeoutMs: 60_000 })
  return res.stdout
}

/**
 * `kubectl kustomize` (Flux's options) of `dir` through a throw-away wrapper kustomization that adds origin and
 * transformer annotations, so each rendered object names the file it came from. Read-only: runs under --dry-run.
 * Never throws for a failing build: validate reports the error against the kustomization.
 */
export async function kustomizeBuildWithOrigins(r: Runner, dir: string, step = 'validate'): Promise<{ ok: boolean; stdout: string; stderr: string; originBase: string }> {
  const wrapperDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kustomize-origin-'))
  try {
    fs.writeFileSync(path.join(wrapperDir, 'kustomization.yaml'), originWrapper(wrapperDir, dir))
    const res = await r.run('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', wrapperDir], { step, timeoutMs: 60_000, nothrow: true })
    if (res.exitCode === 127) {
      return { ok: false, stdout: '', stderr: 'kubectl is not installed or not on PATH', originBase: wrapperDir }
    }
    if (!res.ok) {
      // the wrapper's error messages name wrapper-relative paths; the plain build names the real ones
      const plain = await r.run('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', dir], { step, timeoutMs: 60_000, nothrow: true })
      return { ok: false, stdout: plain.stdout, stderr: plain.stderr || res.stderr, originBase: wrapperDir }
    }
    return { ok: true, stdout: res.stdout, stderr: res.stderr, originBase: wrapperDir }
  } finally {
    fs.rmSync(wrapperDir, { recursive: true, force: true })
  }
}

/** `kubectl get hpa <name> -o json` (read-only). nothrow: a poller shows why it failed instead of stopping. */
export async function getHpaJson(r: Runner, context: string, namespace: string, name: string, step = 'hpa'): Promise<{ ok: boolean; json: string; error: string }> {
  const res = await r.run('kubectl', ['--context', context, '-n', namespace, 'get', 'hpa', name, '-o', 'json'], { step, nothrow: true, timeoutMs: 10_000 })
  const error = res.ok ? '' : (res.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${res.exitCode}`)
  return { ok: res.ok, json: res.stdout, error }
}
