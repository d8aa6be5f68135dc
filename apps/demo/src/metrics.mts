// Prometheus metrics of the demo app, on a registry of its own (no global state, one per app instance).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every path label the app can emit: unknown paths collapse into one value so a scanner cannot blow up cardinality. */
export const ROUTES = ['/healthz', '/readyz', '/work', '/metrics'] as const;
export const UNMATCHED = 'unmatched';

export interface DemoMetrics {
  registry: Registry;
  /** Records one finished request in BOTH the counter and the histogram, whatever its status. */
  observe(path: string, status: number, seconds: number): void;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): DemoMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled, by path and status code.',
    labelNames: ['path', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request handling time in seconds, by path and status code (successes and failures alike).',
    labelNames: ['path', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  // Pre-create the /work series so rate() and error-ratio queries have data before the first failure.
  for (const status of ['200', '500']) {
    requests.labels({ path: '/work', status }).inc(0);
    duration.zero({ path: '/work', status });
  }

  return {
    registry,
    observe(path, status, seconds) {
      const labels = { path, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
  };
}
