// Parse the kubectl flags every subcommand shares, the way kubectl accepts them.
export function parseKubectlArgs(argv) {
  const out = { positional: [], context: undefined, namespace: undefined, allNamespaces: false, output: undefined, selector: undefined, files: [], kustomize: undefined, flags: {} }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const val = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i])
    if (a === '--context' || a.startsWith('--context=')) out.context = val()
    else if (a === '-n' || a === '--namespace' || a.startsWith('--namespace=')) out.namespace = val()
    else if (a === '-A' || a === '--all-namespaces') out.allNamespaces = true
    else if (a === '-o' || a === '--output' || a.startsWith('--output=') || a.startsWith('-o=')) out.output = val()
    else if (a.startsWith('-o') && a.length > 2 && !a.startsWith('--')) out.output = a.slice(2)
    else if (a === '-l' || a === '--selector' || a.startsWith('--selector=')) out.selector = val()
    else if (a === '-f' || a === '--filename' || a.startsWith('--filename=')) out.files.push(val())
    else if (a === '-f-') out.files.push('-')
    else if (a === '-k' || a === '--kustomize' || a.startsWith('--kustomize=')) out.kustomize = val()
    else if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split(/=(.*)/s)
      out.flags[k] = v ?? true
    } else out.positional.push(a)
  }
  return out
}
