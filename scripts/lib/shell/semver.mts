// Just enough version handling for tool checks: "v0.30.0", "kind v0.30.0 go1.24 linux/amd64", "v3.19.0+g3d8990f".

export interface Version { major: number; minor: number; patch: number; raw: string }

export function parseVersion(text: string): Version | undefined {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text)
  if (!m) return undefined
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), raw: `v${m[1]}.${m[2]}.${m[3] ?? 0}` }
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch
}

export function atLeast(actual: string, minimum: string): boolean {
  const a = parseVersion(actual)
  const b = parseVersion(minimum)
  return Boolean(a && b && compareVersions(a, b) >= 0)
}

/** Kubernetes version of a kind node image: "kindest/node:v1.34.0@sha256:..." -> v1.34.0 */
export function nodeImageVersion(image: string): Version | undefined {
  const tag = image.split('@')[0]!.split(':').at(-1) ?? ''
  return parseVersion(tag)
}
