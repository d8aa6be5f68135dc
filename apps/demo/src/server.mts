// Process bootstrap of the demo app: env validation, HTTP server, graceful shutdown. Handling lives in app.mts.
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { createRequestListener, type AppState } from './app.mts';
import { ConfigError, parseConfig, type AppConfig } from './config.mts';
import { createMetrics } from './metrics.mts';

const log = (msg: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, ...fields })}\n`);
};

const fail = (message: string, code: number): never => {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(code);
};

let config: AppConfig;
try {
  config = parseConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message, 2);
  throw error;
}

const state: AppState = {
  config,
  metrics: createMetrics(),
  hostname: hostname(),
  startedAtMs: Date.now(),
  now: Date.now,
  random: Math.random,
  draining: false,
};

const server = createServer(createRequestListener(state));
// Longer than the idle timeout of typical proxies in front of us, so they never reuse a connection we just closed.
server.keepAliveTimeout = 75_000;

server.on('error', (error: NodeJS.ErrnoException) => {
  const hint = error.code === 'EADDRINUSE' ? ' (port in use: set PORT to a free port)' : '';
  fail(`cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}${hint}`, 1);
});

server.listen(config.port, config.host, () => {
  log('listening', {
    host: config.host,
    port: config.port,
    readinessDelaySec: config.readinessDelaySec,
    failRate: config.failRate,
    env: config.appEnv,
  });
});

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  state.draining = true;
  log('shutting down', { signal, drainSec: config.shutdownDelaySec });
  // Hard stop if open connections do not finish; stays below the pod's terminationGracePeriodSeconds.
  setTimeout(() => fail('shutdown timed out, exiting', 1), (config.shutdownDelaySec + 10) * 1000).unref();
  setTimeout(() => {
    server.close(() => {
      log('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  }, config.shutdownDelaySec * 1000);
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
