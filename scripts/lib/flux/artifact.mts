// What goes into the OCI artifacts Flux pulls (FLUX_MODE=oci): only the GitOps directories, copied into a clean
// staging directory with normalised file modes, so the tarball flux builds (mtimes and owners stripped) depends on
// content alone and `flux diff artifact` says "no changes" on a converged re-run. node_modules, .git, .env,
// .platform and the app's source never leave the machine. Two artifacts: `platform` (bootstrap/, infrastructure/:
// what the infrastructure Kustomizations read) and `apps` (apps/base, apps/overlays: what each environment reads
// at its own tag). Reads and writes files only.

import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/** Directories Flux reads (the Kustomization paths and everything they reference). */
export const GITOPS_PATHS = ['bootstrap', 'infrastructure', 'apps/base', 'apps/overlays'] as const
/** The `platform` artifact: what the infrastructure Kustomizations read. */
export const PLATFORM_PATHS = ['bootstrap', 'infrastructure'] as const
/** The `apps` artifact: what the apps-<env> Kustomizations read (./apps/overlays/<env> and its base). */
export const APPS_PATHS = ['apps/base', 'apps/overlays'] as const

/** Rewrites a file's content on its way into the artifact (posix path relative to the root); pure. */
export type StageTransform = (rel: string, content: Buffer) => Buffer

export interface StagedArtifact {
  dir: string
  /** posix path -> sha256 of the content */
  files: Record<string, string>
  /** sha256 over all paths and contents */
  hash: string
}

function listFiles(root: string, rel: string, out: string[]): void {
  const abs = path.join(root, rel)
  if (!fs.existsSync(abs)) return
  const st = fs.statSync(abs)
  if (st.isFile()) { out.push(rel); return }
  if (!st.isDirectory()) return
  for (const name of fs.readdirSync(abs).sort()) {
    if (name.startsWith('.')) continue
    listFiles(root, `${rel}/${name}`, out)
  }
}

export function artifactFiles(root: string, paths: readonly string[] = GITOPS_PATHS): string[] {
  const out: string[] = []
  for (const p of paths) listFiles(root, p, out)
  return out.sort()
}

/** Copy the GitOps directories into `dest` (created empty) with modes 0644/0755, through `transform` if given. */
export function stageArtifact(root: string, dest: string, paths: readonly string[] = GITOPS_PATHS, transform?: StageTransform): StagedArtifact {
  fs.rmSync(dest, { recursive: true, force: true })
  fs.mkdirSync(dest, { recursive: true, mode: 0o755 })
  const files: Record<string, string> = {}
  const all = crypto.createHash('sha256')
  for (const rel of artifactFiles(root, paths)) {
    const raw = fs.readFileSync(path.join(root, rel))
    const content = transform ? transform(rel, raw) : raw
    const target = path.join(dest, rel)
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 })
    fs.writeFileSync(target, content, { mode: 0o644 })
    fs.chmodSync(target, 0o644)
    const sum = crypto.createHash('sha256').update(content).digest('hex')
    files[rel] = sum
    all.update(`${rel}\0${sum}\0`)
  }
  // mkdirSync's mode is filtered by the umask; make directories uniform too (they are tar entries).
  const fixDirs = (d: string) => {
    fs.chmodSync(d, 0o755)
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) fixDirs(path.join(d, e.name))
  }
  fixDirs(dest)
  return { dir: dest, files, hash: all.digest('hex') }
}

export interface FileChanges { added: string[]; changed: string[]; removed: string[] }

/** Which files differ between the last pushed artifact and this one (shown by sync). */
export function compareManifests(before: Record<string, string> | undefined, after: Record<string, string>): FileChanges {
  const prev = before ?? {}
  return {
    added: Object.keys(after).filter((f) => !(f in prev)).sort(),
    changed: Object.keys(after).filter((f) => f in prev && prev[f] !== after[f]).sort(),
    removed: Object.keys(prev).filter((f) => !(f in after)).sort(),
  }
}

export interface GitFacts {
  sha?: string
  branch?: string
  /** uncommitted changes under the GitOps paths */
  dirty: boolean
  remote?: string
}

/** A remote URL safe to publish: credentials embedded in https URLs (https://user:token@host/...) are dropped. */
export function publicRemote(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    const u = new URL(url)
    if (u.username || u.password) { u.username = ''; u.password = '' }
    return u.toString()
  } catch {
    // scp-like git@host:org/repo.git carries no secret
    return url
  }
}

/**
 * --source and --revision of `flux push artifact`: the git remote and `<branch>@sha1:<commit>` for a clean checkout;
 * with uncommitted GitOps changes (the normal inner loop) `<branch>@sha256:<content hash>`, so the revision Flux
 * shows names exactly what was pushed.
 */
export function artifactMetadata(root: string, git: GitFacts, contentHash: string): { source: string; revision: string } {
  const source = publicRemote(git.remote) ?? `file://${root}`
  const branch = git.branch && git.branch !== 'HEAD' ? git.branch : 'local'
  const revision = git.sha && !git.dirty ? `${branch}@sha1:${git.sha}` : `${branch}@sha256:${contentHash}`
  return { source, revision }
}
