// Regenerates .env.example from the declared configuration keys (npm run env-example).
import fs from 'node:fs'
import path from 'node:path'
import { loadVersions, renderEnvExample, REPO_ROOT } from '../lib/shell/config.mts'

fs.writeFileSync(path.join(REPO_ROOT, '.env.example'), renderEnvExample(loadVersions()))
console.log('wrote .env.example')
