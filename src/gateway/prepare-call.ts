import { hasEndpointScope, hasModelScope, type KeyScopes } from '../keys/index.js'
import type { Random } from '../lib/random.js'
import {
  NoAvailableTargetError,
  planRoute,
  type BudgetState,
  type ProviderHealth,
  type RoutePlan,
  type RoutingPolicies,
} from '../routing/index.js'
import { estimateRequestTokens } from './estimate-tokens.js'
import { pathOfEndpoint, type GatewayEndpoint } from './gateway-endpoint.js'
import { EndpointNotAllowedError, ModelNotFoundError } from './gateway-errors.js'
import type { ModelResolver } from './model-resolver.js'

/** What routing needs on the request path: in-memory policies, provider health, randomness. */
export interface GatewayRouting {
  /** The policies in force for an organization (global + its override). No I/O. */
  policiesFor(organizationId: string | null): RoutingPolicies
  health: ProviderHealth
  random: Random
}

/** An upstream call, decided and ready to make (DESIGN lifecycle steps 2–4). */
export interface PreparedCall<TBody> {
  endpoint: GatewayEndpoint
  /** The model the client named. */
  requestedModel: string
  /** Which targets to try, in order, and the policy version that decided. */
  plan: RoutePlan
  /** The client's body untouched; each attempt sends it with `model` set to its target's. */
  body: TBody
  /** Prompt plus allowed completion tokens, for the per-minute token limits. */
  estimatedTokens: number
}

/**
 * Check the key's scopes, plan the route (policy version resolved once, here), and estimate
 * tokens. Refuses with 403 `endpoint_not_allowed`, 404 `model_not_found` (unknown, or outside the
 * key's models: the answer does not say which, as OpenAI's does not), or 503
 * `no_available_target` when every target of the route is unhealthy or missing.
 */
export function prepareCall<TBody extends { model: string }>(
  deps: { resolver: ModelResolver; routing: GatewayRouting },
  input: {
    endpoint: GatewayEndpoint
    scopes: KeyScopes
    organizationId: string | null
    body: TBody
    /** @default 'ok' */
    budgetState?: BudgetState
    /** Whether a tokens-per-minute limit applies; counting a prompt's tokens costs real CPU. */
    needsTokenEstimate: boolean
  },
): PreparedCall<TBody> {
  const { endpoint, scopes, body } = input
  if (!hasEndpointScope(scopes, endpoint))
    throw new EndpointNotAllowedError(pathOfEndpoint(endpoint))
  const requestedModel = body.model
  // Scopes limit what may be requested; the policy then decides what serves it.
  if (!hasModelScope(scopes, requestedModel)) throw new ModelNotFoundError(requestedModel)
  const planned = planRoute({
    policies: deps.routing.policiesFor(input.organizationId),
    model: requestedModel,
    implicit: (model) => deps.resolver.resolve(model),
    budgetState: input.budgetState ?? 'ok',
    health: deps.routing.health,
    random: deps.routing.random,
  })
  if (!planned.ok) {
    if (planned.reason === 'no_available_target') throw new NoAvailableTargetError(requestedModel)
    throw new ModelNotFoundError(requestedModel)
  }
  return {
    endpoint,
    requestedModel,
    plan: planned.plan,
    body,
    // Tokenizing the prompt is the most expensive step of the request path: skip it when no
    // token limit will read it (later issues' budget holds will want it).
    estimatedTokens: input.needsTokenEstimate ? estimateRequestTokens(endpoint, body) : 0,
  }
}

/**
 * The `model` a response (or chunk) carries: the upstream's own name for the model that served
 * (OpenAI answers with the dated model), or the upstream model Ferry asked for when it gave none.
 */
export function servedModelOf(reported: unknown, upstreamModel: string): string {
  return typeof reported === 'string' && reported !== '' ? reported : upstreamModel
}
