/** The request lifecycle outside HTTP (DESIGN steps 2–7): resolve, estimate, prepare the call. */
export { GATEWAY_ENDPOINTS, pathOfEndpoint, type GatewayEndpoint } from './gateway-endpoint.js'
export { EndpointNotAllowedError, ModelNotFoundError } from './gateway-errors.js'
export { estimateRequestTokens } from './estimate-tokens.js'
export type { CatalogModel, ModelResolver, ResolvedModel } from './model-resolver.js'
export {
  prepareCall,
  servedModelOf,
  type GatewayRouting,
  type PreparedCall,
} from './prepare-call.js'
export { usageLogFields } from './usage-log-fields.js'
export {
  MAX_ATTEMPTS_PER_REQUEST,
  abortableSleep,
  runAttempts,
  type AttemptsResult,
} from './run-attempts.js'
export { routingLogFields, toRoutingOutcome } from './routing-outcome.js'
export { primeStream } from './prime-stream.js'
export {
  createRequestMetering,
  type MeteredCaller,
  type MeteredEnd,
  type MeteredRequest,
  type ObservedBalance,
  type PolicyRateLimits,
  type RequestMetering,
  type RequestMeteringDeps,
} from './request-metering.js'
export { buildUsageDraft, type UsageCaller, type UsageFacts } from './usage-draft.js'
export { createMonthToDate, monthOf, type MonthToDate } from './month-to-date.js'
export { seedMonthToDate } from './seed-month-to-date.js'
