import type { FastifyInstance } from 'fastify'
import { hasEndpointScope, hasModelScope } from '../../keys/index.js'
import type { CatalogModel, GatewayRouting, ModelResolver } from '../../gateway/index.js'
import type { RateLimiter } from '../../rate-limits/index.js'
import { planRoute, type CompiledPolicy, type RoutingPolicies } from '../../routing/index.js'
import { customerKeyOf } from '../middleware/authenticate-key.js'
import { enforceRateLimits } from './enforce-rate-limits.js'
import { EndpointNotAllowedError, ModelNotFoundError } from './v1-errors.js'

/** What the models routes read; `resolve` also answers models served through a wildcard pattern. */
export type ModelCatalog = Pick<ModelResolver, 'listModels'> &
  Partial<Pick<ModelResolver, 'resolve'>>

function toOpenAIModel(model: CatalogModel) {
  return { id: model.id, object: 'model', created: model.created, owned_by: model.ownedBy }
}

/** Whether a model no route names still reaches the provider accounts (the implicit policy). */
function implicitReachable(policies: RoutingPolicies): boolean {
  const decide = (policy: CompiledPolicy | null, next: () => boolean) =>
    policy === null
      ? next()
      : policy.defaultRoute === 'implicit'
        ? true
        : policy.defaultRoute === 'inherit'
          ? next()
          : false
  return decide(policies.organization, () => decide(policies.global, () => true))
}

/**
 * The models an organization may name: its policies' routes and aliases (the override's first),
 * then the provider accounts' models when unrouted models still reach them.
 */
function catalogOf(policies: RoutingPolicies, models: ModelCatalog): CatalogModel[] {
  const out = new Map<string, CatalogModel>()
  for (const policy of [policies.organization, policies.global]) {
    if (policy === null) continue
    for (const [id, route] of policy.byName) {
      if (!out.has(id))
        out.set(id, { id, ownedBy: route.targets[0]?.provider ?? 'ferry', created: 0 })
    }
    if (policy.defaultRoute !== 'inherit') break
  }
  if (implicitReachable(policies))
    for (const model of models.listModels()) if (!out.has(model.id)) out.set(model.id, model)
  return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** `GET /v1/models` and `GET /v1/models/{model}`: only what the caller's key may use. */
export function registerModelsRoutes(
  app: FastifyInstance,
  deps: { models: ModelCatalog; rateLimiter: RateLimiter; routing: GatewayRouting },
): void {
  app.get('/models', async (request, reply) => {
    const key = customerKeyOf(request)
    if (!hasEndpointScope(key.scopes, 'models')) throw new EndpointNotAllowedError('/v1/models')
    await enforceRateLimits({ limiter: deps.rateLimiter, key, estimatedTokens: 0, reply })
    const data = catalogOf(deps.routing.policiesFor(key.organizationId), deps.models)
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
    const policies = deps.routing.policiesFor(key.organizationId)
    const listed = catalogOf(policies, deps.models).find((m) => m.id === model)
    if (listed) return toOpenAIModel(listed)
    // A model matched only by a pattern (`gpt-4o*`) or a default route is not listed but is served.
    const resolve = deps.models.resolve
    const planned = planRoute({
      policies,
      model,
      implicit: (name) => resolve?.(name),
      health: deps.routing.health,
      random: deps.routing.random,
    })
    if (!planned.ok && planned.reason === 'model_not_found') throw new ModelNotFoundError(model)
    const ownedBy = planned.ok ? planned.plan.targets[0]!.provider : 'ferry'
    return toOpenAIModel({ id: model, ownedBy, created: 0 })
  })
}
