// yaml for the fakes, loaded on first use: most fake calls never parse or print YAML, and loading the library
// costs a fake call more than its own work.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let lib
const yaml = () => (lib ??= require('yaml'))

export default {
  parse: (...a) => yaml().parse(...a),
  stringify: (...a) => yaml().stringify(...a),
  parseAllDocuments: (...a) => yaml().parseAllDocuments(...a),
}
