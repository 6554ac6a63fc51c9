import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { KeyAuthenticator } from '../../keys/index.js'
import type { RateLimiter } from '../../rate-limits/index.js'
import { registerKeyAuthentication } from '../middleware/authenticate-key.js'
import type { ModelResolver } from '../../gateway/index.js'
import type { Clock } from '../../lib/clock.js'
import type { ProviderRegistry } from '../../providers/index.js'
import { registerInferenceRoutes } from './inference.routes.js'
import { registerModelsRoutes } from './models.routes.js'

/** What the customer API needs from the composition root. */
export interface V1Deps {
  keyAuthenticator: KeyAuthenticator
  rateLimiter: RateLimiter
  /** The models callers may name and where each is served (provider accounts' resolver). */
  models: ModelResolver
  /** The upstream adapters, sharing connection pools. */
  providers: ProviderRegistry
  clock: Clock
  /** For mapping errors written inside a stream. @default 1 MiB */
  bodyLimitBytes?: number
}

/**
 * The OpenAI-compatible customer API, registered by buildApp under `/v1`. Every route is
 * authenticated by a customer key first; an unknown route answers 404 in OpenAI's shape.
 */
export function v1ApiPlugin(deps: V1Deps): FastifyPluginAsync {
  return (app: FastifyInstance) => {
    registerKeyAuthentication(app, deps.keyAuthenticator)
    registerModelsRoutes(app, deps)
    registerInferenceRoutes(app, { ...deps, bodyLimitBytes: deps.bodyLimitBytes ?? 1_048_576 })
    return Promise.resolve()
  }
}
