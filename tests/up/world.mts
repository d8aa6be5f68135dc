// Fake worlds for the up/sync/status tests: a kind cluster's kube context and the local registry container,
// as the cluster phases leave them, so the later phases can be run alone (--only) or after them.
import fs from 'node:fs'
import path from 'node:path'
import { fakeEnv, type Call, type FakeEnv } from '../helpers/fakes.mts'

export function registryContainer(port = 5001) {
  return {
    Id: 'f'.repeat(64), Name: '/kind-registry', State: { Status: 'running', Running: true },
    Config: { Image: 'registry:3.0.0', Labels: { 'dev.platform.role': 'registry' } },
    HostConfig: { PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    NetworkSettings: { Networks: { kind: {} } },
  }
}

/** A converged cluster layer: context kind-platform reachable, registry running on 127.0.0.1:5001. */
export function clusterWorld(extraEnv: NodeJS.ProcessEnv = {}, extraState: Record<string, unknown> = {}): FakeEnv {
  return fakeEnv({
    kube: { currentContext: 'kind-platform', contexts: { 'kind-platform': { server: '127.0.0.1:6443' } }, objects: {} },
    docker: { daemon: true, containers: { 'kind-registry': registryContainer() }, networks: {} },
    ...extraState,
  }, { CI: '1', ...extraEnv })
}

/** Seed the platform state (what earlier runs remembered), e.g. the last image tag. */
export function seedPlatformState(f: FakeEnv, state: Record<string, unknown>): void {
  const dir = f.env.STATE_DIR!
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ version: 1, ...state }, null, 2))
}

/** Calls that change something, by the real CLIs' semantics (dry-run/diff/get/list/export are reads). */
export function isMutating(c: Call): boolean {
  const a = c.argv.filter((x) => !x.startsWith('--context') && !x.startsWith('--kube-context'))
  const words = a.filter((x) => !x.startsWith('-'))
  const has = (...w: string[]) => w.every((x, i) => words[i] === x)
  switch (c.tool) {
    case 'kubectl': {
      const verb = words.find((w) => !['kind-platform'].includes(w))
      if (a.some((x) => x.startsWith('--dry-run') && !x.endsWith('=none'))) return false
      return ['apply', 'create', 'delete', 'patch', 'annotate', 'label', 'replace', 'scale', 'edit', 'set'].includes(verb ?? '')
        || (verb === 'rollout' && words.includes('restart'))
    }
    case 'helm': return ['upgrade', 'install', 'uninstall', 'delete', 'rollback'].includes(words[0] ?? '')
    case 'flux':
      if (has('install')) return !a.includes('--export')
      return ['push', 'reconcile', 'bootstrap', 'create', 'delete', 'suspend', 'resume', 'tag', 'uninstall'].includes(words[0] ?? '')
    case 'docker': {
      // exec of a read (cat, test, ls; find, du, wget inside a cache) changes nothing; writing hosts.toml would
      // be `sh -c ...` or `mkdir`, removing one `rm`
      if (words[0] === 'exec') return !['cat', 'test', 'ls', 'true', 'find', 'du', 'wget'].includes(words[2] ?? '')
      return ['build', 'push', 'run', 'rm', 'start', 'stop', 'create', 'kill'].includes(words[0] ?? '') || has('network', 'create') || has('network', 'connect')
    }
    case 'kind': return ['create', 'delete', 'load'].includes(words[0] ?? '')
    default: return false
  }
}

export const line = (c: Call) => [c.tool, ...c.argv].join(' ')
export const indexOf = (calls: Call[], pred: (l: string) => boolean) => calls.findIndex((c) => pred(line(c)))
