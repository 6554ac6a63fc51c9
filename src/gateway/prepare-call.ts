import { hasEndpointScope, hasModelScope, type KeyScopes } from '../keys/index.js'
import type { ProviderAccount, ProviderAdapter, ProviderRegistry } from '../providers/index.js'
import { estimateRequestTokens } from './estimate-tokens.js'
import { pathOfEndpoint, type GatewayEndpoint } from './gateway-endpoint.js'
import { EndpointNotAllowedError, ModelNotFoundError } from './gateway-errors.js'
import type { ModelResolver } from './model-resolver.js'

/** An upstream call, decided and ready to make (DESIGN lifecycle steps 2–4). */
export interface PreparedCall<TBody> {
  endpoint: GatewayEndpoint
  /** The model the client named. */
  requestedModel: string
  /** The model the upstream is asked for (also what `x-ferry-model-served` says). */
  upstreamModel: string
  account: ProviderAccount
  adapter: ProviderAdapter
  /** The client's body untouched except `model`, which is now the upstream model. */
  body: TBody
  /** Prompt plus allowed completion tokens, for the per-minute token limits. */
  estimatedTokens: number
}

/**
 * Check the key's scopes, resolve the model, and rewrite the body for the upstream. Refuses with
 * 403 `endpoint_not_allowed` or 404 `model_not_found` (unknown, or outside the key's models: the
 * answer does not say which, as OpenAI's does not).
 */
export function prepareCall<TBody extends { model: string }>(
  deps: { resolver: ModelResolver; providers: ProviderRegistry },
  input: {
    endpoint: GatewayEndpoint
    scopes: KeyScopes
    body: TBody
    /** Whether a tokens-per-minute limit applies; counting a prompt's tokens costs real CPU. */
    needsTokenEstimate: boolean
  },
): PreparedCall<TBody> {
  const { endpoint, scopes, body } = input
  if (!hasEndpointScope(scopes, endpoint))
    throw new EndpointNotAllowedError(pathOfEndpoint(endpoint))
  const requestedModel = body.model
  if (!hasModelScope(scopes, requestedModel)) throw new ModelNotFoundError(requestedModel)
  const resolved = deps.resolver.resolve(requestedModel)
  if (!resolved) throw new ModelNotFoundError(requestedModel)
  return {
    endpoint,
    requestedModel,
    upstreamModel: resolved.upstreamModel,
    account: resolved.account,
    adapter: deps.providers.forAccount(resolved.account),
    body: { ...body, model: resolved.upstreamModel },
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
