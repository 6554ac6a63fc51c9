import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { AuthenticatedKey, KeyAuthenticator } from '../../keys/index.js'
import type { RateLimiter } from '../../rate-limits/index.js'
import { registerKeyAuthentication } from '../middleware/authenticate-key.js'
import type { GatewayRouting, ModelResolver } from '../../gateway/index.js'
import type { Clock } from '../../lib/clock.js'
import { systemRandom } from '../../lib/random.js'
import type { ProviderRegistry } from '../../providers/index.js'
import { createProviderHealth, type BudgetState } from '../../routing/index.js'
import { registerInferenceRoutes } from './inference.routes.js'
import type { RequestMetering } from '../../gateway/index.js'
import { registerModelsRoutes } from './models.routes.js'
import { registerUsageFallback } from './usage-trace.js'
import type { RequestLogWriter } from '../../request-logs/index.js'
import { registerCustomerUsageRoutes } from './usage.routes.js'
import type { UsageService } from '../../usage/index.js'

/** What the customer API needs from the composition root. */
export interface V1Deps {
  keyAuthenticator: KeyAuthenticator
  rateLimiter: RateLimiter
  /** The models callers may name and where each is served (provider accounts' resolver). */
  models: ModelResolver
  /** The upstream adapters, sharing connection pools. */
  providers: ProviderRegistry
  clock: Clock
  /**
   * Route policies, provider health and randomness (createServices builds them).
   * @default no policies (the implicit policy), a fresh health registry, Math.random
   */
  routing?: GatewayRouting
  /** The organization's budget state for downgrade rules. @default () => 'ok' */
  budgetStateOf?: (key: AuthenticatedKey) => BudgetState
  /** Prices, budgets and balance holds (createServices' `metering`); unmetered without it. */
  metering?: RequestMetering
  /** Prompt and completion capture for organizations that opted in. @default none */
  requestLog?: Pick<RequestLogWriter, 'capture'>
  /** For mapping errors written inside a stream. @default 1 MiB */
  bodyLimitBytes?: number
  /**
   * Serves `GET /v1/ferry/usage` (a key's own usage) when given: main.ts passes it only with
   * `usage.customerReadEnabled`. @default absent (the route answers 404 like any unknown URL)
   */
  usage?: UsageService
}

const NO_POLICIES = Object.freeze({ global: null, organization: null })

/**
 * The OpenAI-compatible customer API, registered by buildApp under `/v1`. Every route is
 * authenticated by a customer key first; an unknown route answers 404 in OpenAI's shape.
 */
export function v1ApiPlugin(deps: V1Deps): FastifyPluginAsync {
  return (app: FastifyInstance) => {
    const routing: GatewayRouting = deps.routing ?? {
      policiesFor: () => NO_POLICIES,
      health: createProviderHealth({ clock: deps.clock }),
      random: systemRandom,
    }
    registerKeyAuthentication(app, deps.keyAuthenticator)
    if (deps.metering) registerUsageFallback(app, { metering: deps.metering, clock: deps.clock })
    registerModelsRoutes(app, { ...deps, routing })
    if (deps.usage)
      registerCustomerUsageRoutes(app, {
        usage: deps.usage,
        rateLimiter: deps.rateLimiter,
        clock: deps.clock,
      })
    registerInferenceRoutes(app, {
      ...deps,
      routing,
      bodyLimitBytes: deps.bodyLimitBytes ?? 1_048_576,
    })
    return Promise.resolve()
  }
}
