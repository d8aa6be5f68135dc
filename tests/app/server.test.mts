// The real demo app as a child process, against the CONTRACTS.md "demo app" table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMetrics, poll, runAppToExit, startApp, status, total, type RunningApp } from './support.mts';

async function withApp(env: Record<string, string>, body: (app: RunningApp) => Promise<void>): Promise<void> {
  const app = await startApp(env);
  try {
    await body(app);
  } finally {
    await app.stop();
  }
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function scrape(base: string) {
  const res = await fetch(`${base}/metrics`);
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

test('healthy defaults: healthz, readyz, work, metrics answer 200; unknown paths 404', async () => {
  await withApp({}, async (app) => {
    assert.is(await status(`${app.base}/healthz`), 200);
    assert.is(await status(`${app.base}/readyz`), 200);
    const work = await getJson(`${app.base}/work`);
    assert.is(work.status, 200);
    assert.type(work.body.greeting, 'string');
    assert.is(await status(`${app.base}/metrics`), 200);
    assert.is(await status(`${app.base}/no-such-page`), 404);
    const post = await fetch(`${app.base}/work`, { method: 'POST' });
    assert.is(post.status, 405);
  });
});

test('readyz stays 503 during READINESS_DELAY_SEC while healthz is 200', async () => {
  await withApp({ READINESS_DELAY_SEC: '3600' }, async (app) => {
    assert.is(await status(`${app.base}/healthz`), 200);
    assert.is(await status(`${app.base}/readyz`), 503);
  });
});

test('READINESS_DELAY_SEC=1: readyz goes 503 -> 200 and never back', async () => {
  await withApp({ READINESS_DELAY_SEC: '1' }, async (app) => {
    const seen: number[] = [];
    await poll(async () => {
      const code = await status(`${app.base}/readyz`);
      if (code !== undefined) seen.push(code);
      return code === 200 ? true : undefined;
    }, 'readyz 200');
    for (let i = 0; i < 3; i++) seen.push((await status(`${app.base}/readyz`)) ?? 0);
    const firstOk = seen.indexOf(200);
    assert.ok(seen.slice(0, firstOk).every((c) => c === 503), `before ready: ${seen.join(',')}`);
    assert.ok(seen.slice(firstOk).every((c) => c === 200), `after ready: ${seen.join(',')}`);
  });
});

test('FAIL_RATE=1: every /work answers 500, and each failure is counted and timed', async () => {
  await withApp({ FAIL_RATE: '1' }, async (app) => {
    const before = await scrape(app.base);
    for (let i = 0; i < 10; i++) assert.is(await status(`${app.base}/work`), 500);
    const after = await scrape(app.base);
    const where = { path: '/work', status: '500' };
    assert.is(total(after, 'http_requests_total', where) - total(before, 'http_requests_total', where), 10);
    assert.is(
      total(after, 'http_request_duration_seconds_count', where) - total(before, 'http_request_duration_seconds_count', where),
      10,
    );
  });
});

test('FAIL_RATE=0 with GREETING, APP_ENV, PROD: /work returns them in its JSON body', async () => {
  await withApp({ FAIL_RATE: '0', GREETING: 'Grüezi from a Secret', APP_ENV: 'staging', PROD: 'true' }, async (app) => {
    for (let i = 0; i < 5; i++) {
      const work = await getJson(`${app.base}/work`);
      assert.is(work.status, 200);
      assert.is(work.body.greeting, 'Grüezi from a Secret');
      assert.is(work.body.env, 'staging');
      assert.is(work.body.prod, true);
    }
  });
});

test('metrics: N /work calls grow counter and histogram by N, successes and failures alike', async () => {
  await withApp({ FAIL_RATE: '0.5' }, async (app) => {
    const n = 40;
    const before = await scrape(app.base);
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push((await status(`${app.base}/work`)) ?? 0);
    const after = await scrape(app.base);
    const grew = (name: string, where: Record<string, string>) => total(after, name, where) - total(before, name, where);

    assert.is(grew('http_requests_total', { path: '/work' }), n);
    assert.is(grew('http_request_duration_seconds_count', { path: '/work' }), n);
    // Per status too: the latency histogram must not skip successes (the bug this contract rules out).
    for (const code of [200, 500]) {
      const expected = statuses.filter((s) => s === code).length;
      const where = { path: '/work', status: String(code) };
      assert.is(grew('http_requests_total', where), expected, `counter status=${code}`);
      assert.is(grew('http_request_duration_seconds_count', where), expected, `histogram status=${code}`);
    }
    assert.is(statuses.filter((s) => s !== 200 && s !== 500).length, 0);
  });
});

test('metrics: FAIL_RATE=0 successes are timed; unknown paths share one label value', async () => {
  await withApp({ FAIL_RATE: '0' }, async (app) => {
    for (let i = 0; i < 3; i++) await status(`${app.base}/work`);
    for (const junk of ['/a', '/b/c', '/wp-login.php']) assert.is(await status(`${app.base}${junk}`), 404);
    const samples = await scrape(app.base);
    assert.is(total(samples, 'http_request_duration_seconds_count', { path: '/work', status: '200' }), 3);
    assert.is(total(samples, 'http_requests_total', { path: 'unmatched', status: '404' }), 3);
    const paths = new Set(samples.filter((s) => s.name === 'http_requests_total').map((s) => s.labels.path));
    for (const path of paths) assert.ok(['/healthz', '/readyz', '/work', '/metrics', 'unmatched'].includes(path ?? ''), path);
  });
});

test('SIGTERM: readyz turns 503 during the drain while /work still answers, then exit 0', async () => {
  const app = await startApp({ SHUTDOWN_DELAY_SEC: '30' });
  try {
    assert.is(await status(`${app.base}/readyz`), 200);
    app.child.kill('SIGTERM');
    await poll(async () => ((await status(`${app.base}/readyz`)) === 503 ? true : undefined), 'readyz 503 after SIGTERM');
    assert.is(await status(`${app.base}/healthz`), 200);
    assert.is(await status(`${app.base}/work`), 200);
  } finally {
    app.child.kill('SIGKILL');
    await app.stop();
  }
});

test('SIGTERM without drain delay: exits 0', async () => {
  const app = await startApp({});
  const code = await app.stop();
  assert.is(code, 0, app.stderr());
});

for (const [key, value] of [
  ['FAIL_RATE', '1.5'],
  ['FAIL_RATE', 'abc'],
  ['FAIL_RATE', ''],
  ['PORT', '70000'],
  ['READINESS_DELAY_SEC', '-1'],
  ['PROD', 'maybe'],
] as const) {
  test(`invalid ${key}=${JSON.stringify(value)}: one-line error naming it, exit 2`, async () => {
    const result = await runAppToExit({ PORT: '1', [key]: value });
    assert.is(result.code, 2);
    const lines = result.stderr.trim().split('\n');
    assert.is(lines.length, 1, result.stderr);
    assert.ok(lines[0]?.includes(`${key}=${JSON.stringify(value)}`), result.stderr);
    assert.not.match(result.stderr, /\bat .*\.mts:\d+/); // no stack trace
  });
}

test.run();
