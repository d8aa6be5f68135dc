// The fake kubectl's client version (state.kube.clientVersion, default v1.34.1) and what depends on it, as the
// real clients behave (checked against kubectl 1.30.13, 1.31.9, 1.32.5 and 1.33.1 binaries):
//  - `version --client -o json` prints that version with the kustomize that release bundles;
//  - `debug --custom`: kubectl 1.30 registers the flag only when KUBECTL_DEBUG_CUSTOM_PROFILE=true
//    (cmdutil.DebugCustomProfile.IsEnabled()), 1.31 and 1.32 unless it is "false" (`if
//    !cmdutil.DebugCustomProfile.IsDisabled()`), 1.33+ always; older clients have no such flag.
//    A missing flag is cobra's flag error through kubectl's templater:
//    "error: unknown flag: --custom\nSee 'kubectl debug --help' for usage." (exit 1, nothing on stdout).

const KUSTOMIZE = { 30: 'v5.0.4-0.20230601165947-6ce0bf390ce3', 31: 'v5.4.2', 32: 'v5.5.0', 33: 'v5.6.0', 34: 'v5.7.1' }

export function clientVersion(state) {
  const gitVersion = state.kube?.clientVersion ?? 'v1.34.1'
  const [, major = '1', minor = '34'] = /^v?(\d+)\.(\d+)/.exec(gitVersion) ?? []
  return {
    clientVersion: { major, minor, gitVersion, gitCommit: '0'.repeat(40), gitTreeState: 'clean', buildDate: '2025-09-09T00:00:00Z', goVersion: 'go1.24.6', compiler: 'gc', platform: 'linux/amd64' },
    kustomizeVersion: KUSTOMIZE[minor] ?? 'v5.7.1',
  }
}

function customFlagExists(minor, env) {
  const gate = String(env.KUBECTL_DEBUG_CUSTOM_PROFILE ?? '').toLowerCase()
  if (minor < 30) return false
  if (minor === 30) return gate === 'true'
  if (minor <= 32) return gate !== 'false'
  return true
}

/** The flag error a real client of this version gives for `argv`, or undefined when it parses. */
export function flagError(state, sub, argv, env) {
  if (sub !== 'debug' || !argv.some((a) => a === '--custom' || a.startsWith('--custom='))) return undefined
  if (customFlagExists(Number(clientVersion(state).clientVersion.minor), env ?? {})) return undefined
  return { code: 1, stdout: '', stderr: "error: unknown flag: --custom\nSee 'kubectl debug --help' for usage.\n" }
}
