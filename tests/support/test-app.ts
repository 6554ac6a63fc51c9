import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import type { AdminAuthPolicy } from '../../src/admins/index.js'
import { createServices, type ServicesDeps } from '../../src/create-services.js'
import type { ModelResolver } from '../../src/gateway/index.js'
import { createLocalInvalidation, type CacheInvalidation } from '../../src/invalidation/index.js'
import type { ConfiguredAccountInput } from '../../src/provider-accounts/index.js'
import { createMemoryRateLimiter, type RateLimiter } from '../../src/rate-limits/index.js'
import { ConfigSchema, type Config } from '../../src/config/config.schema.js'
import { systemClock, type Clock } from '../../src/lib/clock.js'
import { loadTokenizer } from '../../src/providers/index.js'
import { createLogger } from '../../src/lib/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'
import { registerRoutingMetrics } from '../../src/observability/routing-metrics.js'
import type { Random } from '../../src/lib/random.js'
import type { CircuitBreakerSettings } from '../../src/routing/index.js'
import { checkDatabase, type Db } from '../../src/storage/index.js'
import type { AdminRoute } from '../../src/http/admin/admin-route.js'
import { createLogCapture } from './log-capture.js'

/** The master key test apps use unless a test passes its own. */
export const TEST_MASTER_KEY = Buffer.alloc(32, 7)

/** The app as main.ts builds it, over a test database, with its logs captured. */
export function buildTestApp(options: {
  db: Db
  server?: Partial<Config['server']>
  clock?: Clock
  masterKey?: Buffer
  adminPolicy?: Partial<AdminAuthPolicy>
  /** Share one transport between apps (two instances in one test). @default local */
  invalidation?: CacheInvalidation
  /** @default an in-memory limiter */
  rateLimiter?: RateLimiter
  /** @default the services' resolver (built-in mock models); a bare catalogue resolves nothing */
  models?: ModelResolver | Pick<ModelResolver, 'listModels'>
  /** Configured provider accounts (as `providers.accounts`); `await services.models.ready()`. */
  providerAccounts?: readonly ConfiguredAccountInput[]
  /** Circuit breaker settings (`routing.circuitBreaker`). */
  circuitBreaker?: Partial<CircuitBreakerSettings>
  /** Weighted routing and jitter draw from this (a seeded one makes tests repeatable). */
  routingRandom?: Random
  /** The `billing` config section (hold window, strategy, …). @default the config defaults */
  billing?: Partial<Config['billing']>
  /** Replace the admin route catalogue (tests of the route helper itself). */
  adminRoutes?: readonly AdminRoute[]
  /** The `budgets` config section (the threshold webhook). @default no webhook */
  budgets?: ServicesDeps['budgets']
  /** The `webhooks` config section: with a URL, audit events are enqueued in the outbox. */
  webhooks?: Partial<Config['webhooks']>
  /** The SSRF guard on provider base URLs (`providers.allowPrivateBaseUrls` …). @default config defaults */
  upstreamAddresses?: ServicesDeps['upstreamAddresses']
  /** `usage.customerReadEnabled`: serve `GET /v1/ferry/usage`. @default false */
  usageCustomerRead?: boolean
}) {
  // As startGateway does: the tokenizer is loaded before any request needs it.
  loadTokenizer()
  const server = { ...ConfigSchema.parse({}).server, ...options.server }
  const logs = createLogCapture()
  const clock = options.clock ?? systemClock
  const invalidation = options.invalidation ?? createLocalInvalidation()
  const services = createServices({
    db: options.db,
    clock,
    masterKey: options.masterKey ?? TEST_MASTER_KEY,
    invalidation,
    ...(options.adminPolicy ? { adminPolicy: options.adminPolicy } : {}),
    ...(options.providerAccounts ? { providerAccounts: options.providerAccounts } : {}),
    ...(options.circuitBreaker ? { circuitBreaker: options.circuitBreaker } : {}),
    ...(options.routingRandom ? { routingRandom: options.routingRandom } : {}),
    ...(options.budgets ? { budgets: options.budgets } : {}),
    ...(options.upstreamAddresses ? { upstreamAddresses: options.upstreamAddresses } : {}),
    ...(options.billing
      ? { billing: { ...ConfigSchema.parse({}).billing, ...options.billing } }
      : {}),
    ...(options.webhooks
      ? { webhooks: { ...ConfigSchema.parse({}).webhooks, ...options.webhooks } }
      : {}),
  })
  const { auditLog } = services
  const adminServices = services.admin
  const rateLimiter = options.rateLimiter ?? createMemoryRateLimiter({ clock })
  const metrics = createMetrics()
  registerRoutingMetrics(metrics.registry, services.admin.routing)
  const app: FastifyInstance = buildApp({
    server,
    logger: createLogger({ level: 'info', destination: logs.stream }),
    db: options.db,
    metrics,
    admin: {
      services: adminServices,
      ...(options.adminRoutes ? { routes: options.adminRoutes } : {}),
    },
    v1: {
      keyAuthenticator: services.keyAuthenticator,
      rateLimiter,
      models: toResolver(options.models) ?? services.models,
      providers: services.providers,
      routing: services.routing,
      metering: services.metering,
      requestLog: services.requestLog,
      clock,
      bodyLimitBytes: server.bodyLimitBytes,
      ...(options.usageCustomerRead ? { usage: services.usage } : {}),
    },
  })
  // As startGateway does before serving (after its migrations): monthly caps count this
  // month's stored usage. Readiness tests build apps on unmigrated or closed databases on
  // purpose; those have no usage to seed.
  app.addHook('onReady', async () => {
    const schema = await checkDatabase(options.db).catch(() => null)
    if (schema !== null && schema.pendingMigrations.length === 0) await services.seedMonthToDate()
  })
  app.addHook('onClose', () => {
    services.stop()
    return services.providers.close()
  })
  return { app, logs, adminServices, auditLog, clock, services, invalidation }
}

function toResolver(
  models: ModelResolver | Pick<ModelResolver, 'listModels'> | undefined,
): ModelResolver | undefined {
  if (models === undefined || 'resolve' in models) return models
  return { resolve: () => undefined, listModels: () => models.listModels() }
}
