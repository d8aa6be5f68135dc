// Environment -> validated settings. Pure: takes the env as an argument so it can be unit-tested.

export interface AppConfig {
  port: number;
  host: string;
  readinessDelaySec: number;
  failRate: number;
  greeting: string;
  appEnv: string | undefined;
  prod: boolean | undefined;
  /** Seconds to keep serving (with /readyz 503) after SIGTERM, so endpoints drop the pod before it stops. */
  shutdownDelaySec: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

// Plain decimal only: Number() would also accept '', ' ', '0x10', '1e3' and 'Infinity'.
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

function describe(key: string, raw: string, allowed: string): ConfigError {
  return new ConfigError(`invalid ${key}=${JSON.stringify(raw)}: expected ${allowed}`);
}

function number(env: Env, key: string, fallback: number, allowed: string, ok: (n: number) => boolean): number {
  const raw = env[key];
  if (raw === undefined) return fallback;
  const trimmed = raw.trim();
  const value = DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(value) || !ok(value)) throw describe(key, raw, allowed);
  return value;
}

function boolean(env: Env, key: string): boolean | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw describe(key, raw, 'true or false');
}

/** Throws ConfigError (one-line message naming key, value and what is allowed) on the first bad value. */
export function parseConfig(env: Env): AppConfig {
  const appEnv = env.APP_ENV?.trim();
  return {
    port: number(env, 'PORT', 8000, 'an integer from 1 to 65535', (n) => Number.isInteger(n) && n >= 1 && n <= 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    readinessDelaySec: number(env, 'READINESS_DELAY_SEC', 0, 'a number of seconds >= 0', (n) => n >= 0),
    failRate: number(env, 'FAIL_RATE', 0, 'a number from 0 to 1', (n) => n >= 0 && n <= 1),
    greeting: env.GREETING ?? 'Hello from the demo app',
    appEnv: appEnv ? appEnv : undefined,
    prod: boolean(env, 'PROD'),
    shutdownDelaySec: number(env, 'SHUTDOWN_DELAY_SEC', 0, 'a number of seconds >= 0', (n) => n >= 0),
  };
}
