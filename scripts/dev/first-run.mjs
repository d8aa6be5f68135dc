// Preloaded (NODE_OPTIONS --import, set by .npmrc) into every Node that npm and npx start, percent-encoded there as a
// data: URL. A .mts script run by a Node that cannot strip types (< 22.18), or from a checkout without node_modules
// (`npx zx scripts/doctor.mts` before `npm ci`), gets one line saying what to do instead of a stack trace. A .mts
// outside any package (no package.json above it, e.g. a generated test file in /tmp) is none of its business.
// Anything else is left alone. Keep it one statement per line without comments: it is joined into one line.
// After editing, rewrite the node-options line of .npmrc (tests/foundation/first-run.test.mts prints it).
const a=process.argv.slice(1).find((x)=>/\.mts$/.test(x));
if(a){
const{existsSync:e}=await import('node:fs');
const{dirname:d,resolve:r,join:j}=await import('node:path');
let dir=d(r(a));
while(!e(j(dir,'package.json'))&&d(dir)!==dir)dir=d(dir);
const ts=process.features.typescript;
const own=e(j(dir,'package.json'));
if(!ts||(own&&!e(j(dir,'node_modules','zx')))){
process.stderr.write(`✖ setup: ${ts?'this checkout has no node_modules':`Node ${process.version} cannot run .mts scripts`} — run npm ci first (it installs the Node 24 the scripts run on), then the same command again\n`);
process.exit(3)}}
