// Which files of a build context reach the builder, by the .dockerignore rules BuildKit applies:
// patterns in order, the last match wins, `!` re-includes, `**` spans directories, and a pattern that matches a
// directory applies to everything below it. Pure: the file list comes from the caller.

export interface IgnoreRule {
  negate: boolean
  re: RegExp
}

function toRegExp(pattern: string): RegExp {
  let p = pattern.replace(/^\/+/, '').replace(/\/+$/, '')
  if (p === '' || p === '.') p = '**'
  let out = ''
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!
    if (c === '*') {
      if (p[i + 1] === '*') {
        // "**/" matches zero or more directories; a trailing "**" everything below
        const slash = p[i + 2] === '/'
        out += slash ? '(?:.*/)?' : '.*'
        i += slash ? 2 : 1
      } else out += '[^/]*'
    } else if (c === '?') out += '[^/]'
    else if (c === '[') {
      const end = p.indexOf(']', i)
      if (end === -1) out += '\\['
      else { out += `[${p.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`; i = end }
    } else if (c === '\\' && i + 1 < p.length) { out += `\\${p[i + 1]}`; i++ }
    else out += c.replace(/[.+^${}()|]/g, '\\$&')
  }
  // A pattern naming a directory also covers its contents.
  return new RegExp(`^${out}(?:/.*)?$`)
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text.split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!')
      return { negate, re: toRegExp(negate ? l.slice(1).trim() : l) }
    })
}

/** true when `rel` (posix path relative to the context root) is sent to the builder */
export function isIncluded(rules: IgnoreRule[], rel: string): boolean {
  let included = true
  for (const r of rules) if (r.re.test(rel)) included = r.negate
  return included
}

/** literal start of every `!` pattern, up to its first wildcard ("" when it starts with one) */
export function negationPrefixes(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('!'))
    .map((l) => {
      const p = l.slice(1).trim().replace(/^\/+/, '').replace(/\/+$/, '')
      const wild = p.search(/[*?[\\]/)
      return wild === -1 ? p : p.slice(0, wild)
    })
}

/**
 * Whether a walk must descend into directory `rel`: it is included, or a `!` rule could re-include something
 * below it. Keeps the walk out of node_modules and .git without special cases.
 */
export function mayContainIncluded(rules: IgnoreRule[], rel: string, prefixes: string[]): boolean {
  if (isIncluded(rules, rel)) return true
  return prefixes.some((p) => p === '' || p === rel || p.startsWith(`${rel}/`) || `${rel}/`.startsWith(p))
}
