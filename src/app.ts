import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Config } from './config/config.schema.js'
import { ServiceUnavailableError } from './lib/errors.js'
import type { Logger } from './lib/logger.js'
import type { Metrics } from './observability/metrics.js'
import type { Db } from './storage/index.js'
import { adminApiPlugin, type AdminApiDeps } from './http/admin/admin-api.js'
import { v1ApiPlugin, type V1Deps } from './http/v1/v1-api.js'
import { answerClientError, frameworkErrorHandler } from './http/client-errors.js'
import { refuseDeepJson } from './http/deep-json-parser.js'
import { registerErrorHandlers } from './http/error-handlers.js'
import { FERRY_HEADERS } from './http/headers.js'
import { registerAccessLog } from './http/middleware/access-log.js'
import { lazyChildLoggerFactory } from './http/middleware/lazy-request-logger.js'
import { requestIdFor } from './http/middleware/request-id.js'
import { trackRoutes } from './http/middleware/route-table.js'
import { registerOpsRoutes } from './http/ops.routes.js'
import { registerConsole } from './http/console.js'

/** Everything the HTTP surface needs, built by main.ts (or a test) and passed in as one object. */
export interface AppDeps {
  server: Config['server']
  logger: Logger
  db: Db
  metrics: Metrics
  /** The admin REST API (`/admin/v1`): its services, built in main.ts. */
  admin: AdminApiDeps
  /** The OpenAI-compatible customer API (`/v1`). */
  v1: V1Deps
  /** The web console (`/console`). @default the bundle `npm run build` writes to dist/console */
  console?: { dir?: string }
}

/** The longest path segment (an ID in the URL) the router accepts; longer is a 414. */
const MAX_PARAM_LENGTH = 100

/**
 * How often Node looks for connections over `headersTimeoutMs` / `requestTimeoutMs`. Node's
 * default (30 s) would let a slowloris connection outlive a short timeout by that much.
 */
function connectionsCheckingIntervalMs(server: Config['server']): number {
  const shortest = Math.min(server.headersTimeoutMs, server.requestTimeoutMs)
  return Math.min(30_000, Math.max(100, Math.floor(shortest / 4)))
}

/**
 * Build the Fastify app with every route and hook. It never listens: main.ts does, and tests
 * use `app.inject()` or listen on port 0.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  // Typed as Fastify's logger interface so the app is the default FastifyInstance type.
  const loggerInstance: FastifyBaseLogger = deps.logger
  const app = Fastify({
    loggerInstance,
    // The access log (one line per request) replaces Fastify's two request lines.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    childLoggerFactory: lazyChildLoggerFactory,
    genReqId: requestIdFor,
    bodyLimit: deps.server.bodyLimitBytes,
    trustProxy: deps.server.trustedProxies.length > 0 ? [...deps.server.trustedProxies] : false,
    // Slow and idle clients (issue 11): headers, then the whole request, must arrive in time;
    // an idle keep-alive connection is closed; past maxConnections new connections are dropped.
    keepAliveTimeout: deps.server.keepAliveTimeoutMs,
    requestTimeout: deps.server.requestTimeoutMs,
    http: { connectionsCheckingInterval: connectionsCheckingIntervalMs(deps.server) },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Refusals raised before any route or hook runs, in OpenAI's shape too.
    frameworkErrors: frameworkErrorHandler({ maxParamLength: MAX_PARAM_LENGTH }),
    clientErrorHandler: answerClientError,
    // We answer draining requests ourselves, in OpenAI's error shape (see onRequest below).
    return503OnClosing: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  })
  app.server.headersTimeout = deps.server.headersTimeoutMs
  if (deps.server.maxConnections > 0) app.server.maxConnections = deps.server.maxConnections

  const routes = trackRoutes(app)
  let closing = false
  app.addHook('preClose', (done) => {
    closing = true
    done()
  })

  app.addHook('onRequest', (request, reply, done) => {
    void reply.header(FERRY_HEADERS.requestId, request.id)
    if (closing) {
      void reply.header('connection', 'close')
      done(
        new ServiceUnavailableError('Ferry is shutting down; retry on another instance.', {
          code: 'shutting_down',
        }),
      )
      return
    }
    done()
  })
  // Responses finishing during a drain close their connection, so keep-alive clients move on
  // to another instance and shutdown does not wait for idle sockets to time out.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) void reply.header('connection', 'close')
    return payload
  })
  refuseDeepJson(app)
  registerAccessLog(app, { metrics: deps.metrics, logger: deps.logger })
  registerErrorHandlers(app, { bodyLimitBytes: deps.server.bodyLimitBytes, routes })
  registerOpsRoutes(app, { db: deps.db, metrics: deps.metrics })
  void app.register(adminApiPlugin(deps.admin), { prefix: '/admin/v1' })
  void app.register(v1ApiPlugin(deps.v1), { prefix: '/v1' })
  registerConsole(app, deps.console)
  return app
}
