// Static checks of the demo image recipe (no Docker engine here): what the cluster manifests rely on.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from './support.mts';

const dockerfile = readFileSync(join(REPO_ROOT, 'apps/demo/Dockerfile'), 'utf8');
const ignore = readFileSync(join(REPO_ROOT, 'apps/demo/Dockerfile.dockerignore'), 'utf8');
const lines = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const instructions = lines.map((l) => {
  const [op = '', ...rest] = l.split(/\s+/);
  return { op: op.toUpperCase(), args: rest.join(' ') };
});
const args = Object.fromEntries(
  instructions.filter((i) => i.op === 'ARG' && i.args.includes('=')).map((i) => i.args.split('=', 2) as [string, string]),
);
const stages = instructions.filter((i) => i.op === 'FROM').map((i) => i.args.replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? ''));
const lastStage = instructions.slice(instructions.map((i) => i.op).lastIndexOf('FROM'));

test('base images are pinned to an exact Node 24 version, multi-stage', () => {
  assert.ok(stages.length >= 2, 'multi-stage');
  for (const stage of stages) assert.match(stage, /^node:24\.\d+\.\d+-alpine/, stage);
});

test('runtime stage runs as a numeric non-root user matching the pod securityContext', () => {
  const user = lastStage.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
  assert.match(user, /^\d+(:\d+)?$/, 'numeric USER');
  const [uid] = user.split(':');
  assert.ok(Number(uid) > 0);
  const deployment = readFileSync(join(REPO_ROOT, 'apps/base/deployment.yaml'), 'utf8');
  assert.ok(deployment.includes(`runAsUser: ${uid}`), 'deployment runs as the image user');
});

test('runtime starts the .mts server directly with node (exec form), on port 8000', () => {
  const cmd = lastStage.filter((i) => i.op === 'CMD').at(-1)?.args ?? '';
  const argv = JSON.parse(cmd) as string[];
  assert.is(argv[0], 'node');
  assert.is(argv[1], 'apps/demo/src/server.mts');
  assert.ok(existsSync(join(REPO_ROOT, argv[1] as string)));
  assert.ok(lastStage.some((i) => i.op === 'EXPOSE' && i.args === '8000'));
  assert.ok(lastStage.some((i) => i.op === 'ENV' && /HOST=0\.0\.0\.0/.test(i.args)), 'listens on all interfaces in the pod');
});

test('production deps come from the lockfile (npm ci --omit=dev for the demo workspace only)', () => {
  const run = instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
  assert.match(run, /npm ci\b/);
  assert.match(run, /--omit=dev/);
  assert.match(run, /--workspace apps\/demo/);
});

test('every COPY source from the context exists and is re-included by the allow-list dockerignore', () => {
  const patterns = ignore.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  assert.is(patterns[0], '*', 'ignore everything first');
  const allowed = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1).replace(/\/$/, ''));
  const copies = instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'));
  assert.ok(copies.length > 0);
  for (const copy of copies) {
    const parts = copy.args.split(/\s+/);
    for (const source of parts.slice(0, -1)) {
      assert.ok(existsSync(join(REPO_ROOT, source)), `${source} exists`);
      assert.ok(allowed.some((a) => source === a || source.startsWith(`${a}/`)), `${source} allowed by dockerignore`);
    }
  }
  for (const secret of ['.env', '.git', 'node_modules', '.platform']) {
    assert.not.ok(allowed.some((a) => secret === a || secret.startsWith(`${a}/`)), `${secret} stays out`);
  }
});

test.run();
