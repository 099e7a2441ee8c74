import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** The control plane's Prometheus metrics, served as text at /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sbx_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'sbx_http_requests_total',
      help: 'HTTP requests served, by method, route and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'sbx_http_request_duration_seconds',
      help: 'HTTP request latency, by method and route.',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    signInFailures: new Counter({
      name: 'sbx_sign_in_failures_total',
      help: 'Failed console sign-ins, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    auditUnavailable: new Counter({
      name: 'sbx_audit_write_failures_total',
      help: 'Changes refused because their audit event could not be written.',
      registers: [registry],
    }),
  };
}

/** Folds a request path into a low-cardinality route label (ids become `:id`). */
export function routeLabel(pathname: string): string {
  if (pathname.startsWith('/_next/')) return '/_next';
  if (!pathname.startsWith('/api/')) return 'page';
  return pathname
    .split('/')
    .map((part, i) => (i > 3 && /[0-9]/.test(part) ? ':id' : part))
    .join('/');
}
