import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Metrics } from '../../observability/metrics.js'

/**
 * One access line per request (info), plus the request counter and latency histogram. The
 * route label is the route's pattern, never the raw URL, so metrics stay bounded and IDs in
 * paths never reach Prometheus. The query string is left out of the log: it may hold a key.
 */
export function registerAccessLog(app: FastifyInstance, metrics: Metrics): void {
  // The access line is built from the closed set of fields below (and accessLogFields, which
  // hold only IDs, labels, model names and counts), never from a header or a body, so it skips
  // pino's redaction pass: that pass costs more than the rest of the line.
  const accessLog = app.log.child({}, { redact: { paths: [] } })
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const status = String(reply.statusCode)
    const seconds = reply.elapsedTime / 1000
    metrics.httpRequests.inc({ method: request.method, route, status })
    metrics.httpRequestDuration.observe({ method: request.method, route, status }, seconds)
    accessLog.info(
      {
        requestId: request.id,
        method: request.method,
        path: request.url.split('?', 1)[0],
        route,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        remoteAddress: request.ip,
        ...request.accessLogFields,
      },
      'request completed',
    )
    done()
  })
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Fields later layers add to this request's access line (usage summary, key label). */
    accessLogFields?: Record<string, string | number | boolean | null>
  }
}
