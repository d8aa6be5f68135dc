// Every secret value the process knows of is registered here; every byte we print passes redact().
// Registration is global on purpose: a secret loaded by config must be hidden from output produced anywhere.

const secrets = new Set<string>()
const MASK = '***'

export function registerSecret(value: string | undefined | null): void {
  // Very short values would mask ordinary text ("a", "1") and protect nothing.
  if (value && value.length >= 4) secrets.add(value)
}

export function clearSecrets(): void {
  secrets.clear()
}

export function redact(text: string): string {
  if (secrets.size === 0 || !text) return text
  let out = text
  // Longest first so a secret containing another is masked whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(MASK)
  return out.replace(/(Authorization:\s*(?:Bearer|Basic)\s+)\S+/gi, `$1${MASK}`)
}

/** Mask values of flags that are secret by name, even when the value was never registered. */
export function redactArgs(args: readonly string[]): string[] {
  const out: string[] = []
  let maskNext = false
  for (const a of args) {
    if (maskNext) { out.push(MASK); maskNext = false; continue }
    const m = /^(--(?:token|password|secret|api-key|auth|client-secret)(?:=))(.*)$/i.exec(a)
    if (m) { out.push(`${m[1]}${MASK}`); continue }
    if (/^--(?:token|password|secret|api-key|client-secret)$/i.test(a)) maskNext = true
    out.push(redact(a))
  }
  return out
}
