// Helpers shared by the tests/app/* tests: run the real demo app as a child process, parse its metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = 'apps/demo/src/server.mts';

/** A port that was free a moment ago: bind 127.0.0.1:0, read the port, release it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port from the OS');
  return address.port;
}

export interface RunningApp {
  base: string;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM, then wait for the exit (SIGKILL if it does not come); returns the exit code. */
  stop: () => Promise<number | null>;
}

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnApp(env: Record<string, string>): { child: ChildProcess; out: string[]; err: string[] } {
  // Start from a clean env so the developer's own PORT/FAIL_RATE/... cannot leak into a test.
  const child = spawn(process.execPath, [SERVER], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  return { child, out, err };
}

async function waitExit(child: ChildProcess, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const [code] = (await exited) as [number | null];
  clearTimeout(timer);
  return code;
}

/** Runs the app expecting it to exit by itself (e.g. on bad configuration). */
export async function runAppToExit(env: Record<string, string>): Promise<Exit> {
  const { child, out, err } = spawnApp(env);
  const code = await waitExit(child, 10_000);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until check() is truthy; bounded by attempts (not by a wall-clock promise about the app). */
export async function poll<T>(check: () => Promise<T | undefined>, what: string, attempts = 200, everyMs = 50): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(everyMs);
  }
  throw new Error(`gave up waiting for ${what}`);
}

export async function status(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined; // not listening yet
  }
}

/** Starts the real app on a free loopback port and waits until /healthz answers 200. */
export async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const port = await freePort();
  const { child, out, err } = spawnApp({ PORT: String(port), ...env });
  const base = `http://127.0.0.1:${port}`;
  const app: RunningApp = {
    base,
    child,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return waitExit(child, 10_000);
    },
  };
  try {
    await poll(async () => {
      if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode}: ${app.stderr()}`);
      return (await status(`${base}/healthz`)) === 200 ? true : undefined;
    }, `${base}/healthz`);
  } catch (error) {
    await app.stop();
    throw error;
  }
  return app;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Minimal Prometheus text-format parser (enough for the app's own output; no escaped quotes in our labels). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) {
      labels[pair[1] as string] = pair[2] as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of all samples of `name` whose labels include `where`. */
export function total(samples: Sample[], name: string, where: Record<string, string>): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
