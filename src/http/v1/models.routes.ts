import type { FastifyInstance } from 'fastify'
import { hasEndpointScope, hasModelScope } from '../../keys/index.js'
import type { CatalogModel, ModelResolver } from '../../gateway/index.js'
import type { RateLimiter } from '../../rate-limits/index.js'
import { customerKeyOf } from '../middleware/authenticate-key.js'
import { enforceRateLimits } from './enforce-rate-limits.js'
import { EndpointNotAllowedError, ModelNotFoundError } from './v1-errors.js'

/** What `GET /v1/models` lists: the model resolver's catalogue. */
export type ModelCatalog = Pick<ModelResolver, 'listModels'>

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
    const found = deps.models.listModels().find((m) => m.id === model)
    if (!found || !hasModelScope(key.scopes, model)) throw new ModelNotFoundError(model)
    return toOpenAIModel(found)
  })
}
