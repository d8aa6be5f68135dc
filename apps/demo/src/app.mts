// Request handling of the demo app, apart from the process bootstrap (server.mts) so it can be tested in-process.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from './config.mts';
import { ROUTES, UNMATCHED, type DemoMetrics } from './metrics.mts';

export interface AppState {
  config: AppConfig;
  metrics: DemoMetrics;
  hostname: string;
  startedAtMs: number;
  /** Milliseconds clock; injectable for tests. */
  now: () => number;
  /** Uniform [0, 1); injectable for tests. */
  random: () => number;
  /** Set on SIGTERM: /readyz turns 503 so the pod leaves the Service endpoints while requests still succeed. */
  draining: boolean;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

function text(status: number, body: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { ...TEXT, ...headers }, body: `${body}\n` };
}

function json(status: number, value: unknown): Reply {
  return { status, headers: { ...JSON_TYPE, 'cache-control': 'no-store' }, body: `${JSON.stringify(value)}\n` };
}

/** The metric label for a request path: the route itself, or one fixed value for anything unknown. */
export function routeLabel(pathname: string): string {
  return (ROUTES as readonly string[]).includes(pathname) ? pathname : UNMATCHED;
}

export function isReady(state: AppState): boolean {
  return !state.draining && state.now() - state.startedAtMs >= state.config.readinessDelaySec * 1000;
}

function work(state: AppState): Reply {
  const { config } = state;
  const extra: Record<string, unknown> = {};
  if (config.appEnv !== undefined) extra.env = config.appEnv;
  if (config.prod !== undefined) extra.prod = config.prod;
  // random() is in [0, 1): FAIL_RATE=0 never fails, FAIL_RATE=1 always does.
  if (state.random() < config.failRate) {
    return json(500, { error: 'simulated failure (FAIL_RATE)', ...extra, hostname: state.hostname });
  }
  return json(200, { greeting: config.greeting, ...extra, hostname: state.hostname });
}

export async function respond(method: string, rawUrl: string, state: AppState): Promise<Reply> {
  const pathname = new URL(rawUrl, 'http://localhost').pathname;
  const route = routeLabel(pathname);
  if (route === UNMATCHED) return text(404, 'not found');
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'method not allowed', { allow: 'GET, HEAD' });

  switch (route) {
    case '/healthz':
      return text(200, 'ok');
    case '/readyz':
      return isReady(state) ? text(200, 'ready') : text(503, 'not ready');
    case '/work':
      return work(state);
    default: {
      const body = await state.metrics.registry.metrics();
      return { status: 200, headers: { 'content-type': state.metrics.registry.contentType }, body };
    }
  }
}

/** Node http listener: answers via respond() and records every request (any path, any status) in the metrics. */
export function createRequestListener(state: AppState): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const url = req.url ?? '/';
    let label = UNMATCHED;
    const finish = (reply: Reply): void => {
      state.metrics.observe(label, reply.status, Number(process.hrtime.bigint() - started) / 1e9);
      res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
      res.end(reply.body);
    };
    try {
      label = routeLabel(new URL(url, 'http://localhost').pathname);
    } catch {
      // An unparsable request target stays 'unmatched'; respond() answers it below.
    }
    respond(req.method ?? 'GET', url, state).then(finish, (error: unknown) => {
      process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'request failed', error: String(error) })}\n`);
      finish(text(500, 'internal error'));
    });
  };
}
