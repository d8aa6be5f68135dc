// Request handling in-process, with a fake clock and a fake random source (no sockets, no sleeps).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { respond, routeLabel, type AppState } from '../../apps/demo/src/app.mts';
import { parseConfig } from '../../apps/demo/src/config.mts';
import { createMetrics } from '../../apps/demo/src/metrics.mts';
import { parseMetrics, total } from './support.mts';

function makeState(env: Record<string, string>, randoms: number[] = []): AppState & { clock: { ms: number } } {
  const clock = { ms: 1_000_000 };
  return {
    config: parseConfig(env),
    metrics: createMetrics({ defaultMetrics: false }),
    hostname: 'pod-a',
    startedAtMs: clock.ms,
    now: () => clock.ms,
    random: () => randoms.shift() ?? 0.5,
    draining: false,
    clock,
  };
}

test('readyz: 503 until READINESS_DELAY_SEC has passed, then 200', async () => {
  const state = makeState({ READINESS_DELAY_SEC: '10' });
  assert.is((await respond('GET', '/readyz', state)).status, 503);
  state.clock.ms += 9_999;
  assert.is((await respond('GET', '/readyz', state)).status, 503);
  state.clock.ms += 1;
  assert.is((await respond('GET', '/readyz', state)).status, 200);
  assert.is((await respond('GET', '/healthz', state)).status, 200);
});

test('readyz: 503 again while draining, healthz stays 200', async () => {
  const state = makeState({});
  assert.is((await respond('GET', '/readyz', state)).status, 200);
  state.draining = true;
  assert.is((await respond('GET', '/readyz', state)).status, 503);
  assert.is((await respond('GET', '/healthz', state)).status, 200);
});

test('work: fails exactly when random() < FAIL_RATE', async () => {
  const state = makeState({ FAIL_RATE: '0.3', GREETING: 'hello' }, [0.29, 0.3, 0.0, 0.99]);
  const codes = [];
  for (let i = 0; i < 4; i++) codes.push((await respond('GET', '/work', state)).status);
  assert.equal(codes, [500, 200, 500, 200]);
});

test('work: JSON body with greeting, env and prod when set', async () => {
  const ok = await respond('GET', '/work?x=1', makeState({ GREETING: 'hi', APP_ENV: 'production', PROD: 'true' }));
  assert.is(ok.status, 200);
  assert.match(ok.headers['content-type'] ?? '', /^application\/json/);
  assert.equal(JSON.parse(ok.body), { greeting: 'hi', env: 'production', prod: true, hostname: 'pod-a' });
  const plain = JSON.parse((await respond('GET', '/work', makeState({ GREETING: 'hi' }))).body);
  assert.equal(Object.keys(plain).sort(), ['greeting', 'hostname']);
});

test('FAIL_RATE=1 always fails, FAIL_RATE=0 never does (random() is in [0, 1))', async () => {
  const always = makeState({ FAIL_RATE: '1' }, [0, 0.5, 0.999999]);
  const never = makeState({ FAIL_RATE: '0' }, [0, 0.5, 0.999999]);
  for (let i = 0; i < 3; i++) {
    assert.is((await respond('GET', '/work', always)).status, 500);
    assert.is((await respond('GET', '/work', never)).status, 200);
  }
});

test('unknown paths 404 and map to one label; other methods 405', async () => {
  const state = makeState({});
  assert.is((await respond('GET', '/work/', state)).status, 404);
  assert.is((await respond('GET', '/../etc/passwd', state)).status, 404);
  assert.is(routeLabel('/wp-admin'), 'unmatched');
  assert.is(routeLabel('/work'), '/work');
  const post = await respond('POST', '/work', state);
  assert.is(post.status, 405);
  assert.is(post.headers.allow, 'GET, HEAD');
});

test('metrics: observe() feeds both the counter and the histogram', async () => {
  const state = makeState({});
  state.metrics.observe('/work', 200, 0.002);
  state.metrics.observe('/work', 500, 0.004);
  state.metrics.observe('/work', 200, 0.003);
  const reply = await respond('GET', '/metrics', state);
  assert.is(reply.status, 200);
  const samples = parseMetrics(reply.body);
  for (const [code, n] of [['200', 2], ['500', 1]] as const) {
    assert.is(total(samples, 'http_requests_total', { path: '/work', status: code }), n);
    assert.is(total(samples, 'http_request_duration_seconds_count', { path: '/work', status: code }), n);
  }
  assert.ok(Math.abs(total(samples, 'http_request_duration_seconds_sum', { path: '/work' }) - 0.009) < 1e-9);
});

test.run();
