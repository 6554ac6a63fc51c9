import type { FastifyInstance } from 'fastify'
import { hasEndpointScope, hasModelScope } from '../../keys/index.js'
import type { CatalogModel, ModelResolver } from '../../gateway/index.js'
import type { RateLimiter } from '../../rate-limits/index.js'
import { customerKeyOf } from '../middleware/authenticate-key.js'
import { enforceRateLimits } from './enforce-rate-limits.js'
import { EndpointNotAllowedError, ModelNotFoundError } from './v1-errors.js'

/** What `GET /v1/models` lists: the model resolver's catalogue. */
/** What the models routes read; `resolve` also answers models served through a wildcard pattern. */
export type ModelCatalog = Pick<ModelResolver, 'listModels'> &
  Partial<Pick<ModelResolver, 'resolve'>>

function toOpenAIModel(model: CatalogModel) {
  return { id: model.id, object: 'model', created: model.created, owned_by: model.ownedBy }
}

/** `GET /v1/models` and `GET /v1/models/{model}`: only what the caller's key may use. */
export function registerModelsRoutes(
  app: FastifyInstance,
  deps: { models: ModelCatalog; rateLimiter: RateLimiter },
): void {
  app.get('/models', async (request, reply) => {
    const key = customerKeyOf(request)
    if (!hasEndpointScope(key.scopes, 'models')) throw new EndpointNotAllowedError('/v1/models')
    await enforceRateLimits({ limiter: deps.rateLimiter, key, estimatedTokens: 0, reply })
    const data = deps.models
      .listModels()
      .filter((m) => hasModelScope(key.scopes, m.id))
      .map(toOpenAIModel)
    return { object: 'list', data }
  })

  app.get<{ Params: { model: string } }>('/models/:model', async (request, reply) => {
    const key = customerKeyOf(request)
    if (!hasEndpointScope(key.scopes, 'models')) throw new EndpointNotAllowedError('/v1/models')
    await enforceRateLimits({ limiter: deps.rateLimiter, key, estimatedTokens: 0, reply })
    const { model } = request.params
    if (!hasModelScope(key.scopes, model)) throw new ModelNotFoundError(model)
    const listed = deps.models.listModels().find((m) => m.id === model)
    if (listed) return toOpenAIModel(listed)
    // A model matched only by a pattern (`gpt-4o*`) is not listed but is served.
    const resolved = deps.models.resolve?.(model)
    if (!resolved) throw new ModelNotFoundError(model)
    return toOpenAIModel({ id: model, ownedBy: resolved.account.label, created: 0 })
  })
}
