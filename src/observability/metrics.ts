import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** The Prometheus registry of one Ferry process, with the metrics every layer shares. */
export interface Metrics {
  readonly registry: Registry
  readonly httpRequests: Counter<'method' | 'route' | 'status'>
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>
  /** Rate-limit decisions taken by this process alone because Redis did not answer. */
  readonly rateLimitFallbacks: Counter
}

/**
 * One registry per app (not prom-client's global one), so two apps in one test process do not
 * collide and `/metrics` shows only this instance.
 */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'ferry_' })
  const httpRequests = new Counter({
    name: 'ferry_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  })
  const httpRequestDuration = new Histogram({
    name: 'ferry_http_request_duration_seconds',
    help: 'Time from request received to response finished, by route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  })
  const rateLimitFallbacks = new Counter({
    name: 'ferry_rate_limit_fallbacks_total',
    help: 'Rate-limit decisions taken by this process alone (per-process limits) because Redis did not answer.',
    registers: [registry],
  })
  return { registry, httpRequests, httpRequestDuration, rateLimitFallbacks }
}
