// How a person trusts the local CA, once, on their own machine. The scripts never change a trust store
// themselves (that needs root, and it is the user's call); they print these lines. Pure.

/** Shell-quote a path for a copy-paste line. */
const q = (p: string) => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`)

export interface TrustLine { where: string; command: string }

/** One line per platform; `certFile` as the user should type it (relative to the repo when inside it). */
export function trustInstructions(certFile: string, exampleUrl?: string): TrustLine[] {
  const f = q(certFile)
  return [
    { where: 'macOS', command: `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${f}` },
    { where: 'Debian/Ubuntu', command: `sudo cp ${f} /usr/local/share/ca-certificates/platform-local-ca.crt && sudo update-ca-certificates` },
    { where: 'Fedora/RHEL', command: `sudo trust anchor --store ${f}` },
    { where: 'Node.js', command: `export NODE_EXTRA_CA_CERTS=${certFile.startsWith('/') ? f : `"$PWD"/${f}`}` },
    { where: 'curl', command: `curl --cacert ${f} ${exampleUrl ?? 'https://<host>.localhost:8443/'}` },
  ]
}
