import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, parseConfig } from '../../apps/demo/src/config.mts';

test('defaults: port 8000 on loopback, ready at once, never fails', () => {
  const config = parseConfig({});
  assert.is(config.port, 8000);
  assert.is(config.host, '127.0.0.1');
  assert.is(config.readinessDelaySec, 0);
  assert.is(config.failRate, 0);
  assert.is(config.appEnv, undefined);
  assert.is(config.prod, undefined);
  assert.type(config.greeting, 'string');
});

test('reads every key', () => {
  const config = parseConfig({
    PORT: '9000',
    HOST: '0.0.0.0',
    READINESS_DELAY_SEC: '10',
    FAIL_RATE: '0.05',
    GREETING: 'hi',
    APP_ENV: 'dev',
    PROD: 'false',
    SHUTDOWN_DELAY_SEC: '5',
  });
  assert.equal(config, {
    port: 9000,
    host: '0.0.0.0',
    readinessDelaySec: 10,
    failRate: 0.05,
    greeting: 'hi',
    appEnv: 'dev',
    prod: false,
    shutdownDelaySec: 5,
  });
});

test('FAIL_RATE accepts the closed range 0..1 and plain decimals only', () => {
  for (const [raw, value] of [['0', 0], ['1', 1], ['0.2', 0.2], ['.5', 0.5], [' 0.3 ', 0.3]] as const) {
    assert.is(parseConfig({ FAIL_RATE: raw }).failRate, value, raw);
  }
  for (const raw of ['', ' ', '-0.1', '1.01', '2', 'abc', '0x1', '1e-1', 'NaN', 'Infinity', '50%']) {
    assert.throws(() => parseConfig({ FAIL_RATE: raw }), (e: unknown) => e instanceof ConfigError, raw);
  }
});

test('error message names key, value and what is allowed, on one line', () => {
  try {
    parseConfig({ FAIL_RATE: '1.5' });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.is((error as Error).message, 'invalid FAIL_RATE="1.5": expected a number from 0 to 1');
  }
});

test('PORT must be an integer 1..65535', () => {
  for (const raw of ['0', '65536', '80.5', 'http', '']) {
    assert.throws(() => parseConfig({ PORT: raw }), /PORT/, raw);
  }
  assert.is(parseConfig({ PORT: '65535' }).port, 65535);
});

test('PROD is a boolean when set, absent when empty', () => {
  assert.is(parseConfig({ PROD: 'TRUE' }).prod, true);
  assert.is(parseConfig({ PROD: '1' }).prod, true);
  assert.is(parseConfig({ PROD: '0' }).prod, false);
  assert.is(parseConfig({ PROD: '' }).prod, undefined);
  assert.throws(() => parseConfig({ PROD: 'yes please' }), /PROD/);
});

test('delays must be non-negative', () => {
  assert.is(parseConfig({ READINESS_DELAY_SEC: '2.5' }).readinessDelaySec, 2.5);
  assert.throws(() => parseConfig({ READINESS_DELAY_SEC: '-1' }), /READINESS_DELAY_SEC/);
  assert.throws(() => parseConfig({ SHUTDOWN_DELAY_SEC: 'soon' }), /SHUTDOWN_DELAY_SEC/);
});

test.run();
