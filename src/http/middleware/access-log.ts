import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createInfoLineWriter } from '../../lib/log-line.js'
import type { Logger } from '../../lib/logger.js'
import type { Metrics } from '../../observability/metrics.js'

/**
 * One access line per request (info), plus the request counter and latency histogram. The
 * route label is the route's pattern, never the raw URL, so metrics stay bounded and IDs in
 * paths never reach Prometheus. The query string is left out of the log: it may hold a key.
 */
/** nginx's convention for "the client closed the connection before the response was complete". */
export const CLIENT_CLOSED_REQUEST = 499

const ACCESS_LOGGED = Symbol('ferry.accessLogged')
type Marked = FastifyRequest & { [ACCESS_LOGGED]?: true }

export function registerAccessLog(
  app: FastifyInstance,
  deps: { metrics: Metrics; logger: Logger },
): void {
  const { metrics } = deps
  // The access line is built from the closed set of fields below (and accessLogFields, which
  // hold only IDs, labels, model names and counts), never from a header or a body, so it needs
  // none of pino's redaction or serialisers: it is written as one flat JSON object.
  const accessLine = createInfoLineWriter(deps.logger, 'request completed')
  const writeLine = (request: Marked, reply: FastifyReply, statusCode: number) => {
    if (request[ACCESS_LOGGED]) return
    request[ACCESS_LOGGED] = true
    const route = request.routeOptions.url ?? 'unmatched'
    const status = String(statusCode)
    const seconds = reply.elapsedTime / 1000
    metrics.httpRequests.inc({ method: request.method, route, status })
    metrics.httpRequestDuration.observe({ method: request.method, route, status }, seconds)
    accessLine({
      requestId: request.id,
      method: request.method,
      path: request.url.split('?', 1)[0]!,
      route,
      status: statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      remoteAddress: request.ip,
      ...request.accessLogFields,
    })
  }
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    writeLine(request, reply, reply.statusCode)
    done()
  })
  // A response the client walked away from never finishes, so onResponse never fires for it;
  // the stream relay calls this instead, and the line says 499.
  app.decorateReply('logClientAbort', function (this: FastifyReply) {
    writeLine(this.request, this, CLIENT_CLOSED_REQUEST)
  })
}

/**
 * Add fields to this request's access line. In place: a request adds to it five or six times,
 * and copying the whole set each time (a spread) showed in the profile.
 */
export function addAccessLogFields(
  request: FastifyRequest,
  fields: Record<string, string | number | boolean | null>,
): void {
  Object.assign((request.accessLogFields ??= {}), fields)
}

declare module 'fastify' {
  interface FastifyReply {
    /** Write the access line of a response the client abandoned (status 499). Once per request. */
    logClientAbort(): void
  }
  interface FastifyRequest {
    /** Fields later layers add to this request's access line (usage summary, key label). */
    accessLogFields?: Record<string, string | number | boolean | null>
  }
}
