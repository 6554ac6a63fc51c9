export {
  RATE_LIMIT_KINDS,
  RATE_LIMIT_SCOPES,
  type RateLimit,
  type RateLimitCharge,
  type RateLimitDecision,
  type RateLimitKind,
  type RateLimitRefusal,
  type RateLimitRefused,
  type RateLimitScope,
  type RateLimitState,
  type RateLimiter,
} from './rate-limiter.js'
export {
  createMemoryRateLimiter,
  type MemoryRateLimiter,
  type MemoryRateLimiterOptions,
} from './memory-rate-limiter.js'
export {
  createRedisRateLimiter,
  type RateLimitFallbackEvent,
  type RedisRateLimiterOptions,
} from './redis-rate-limiter.js'
export {
  buildRateLimitCharges,
  buildRefund,
  buildTokenAdjustments,
  type RateLimitChargesInput,
  type RateLimitSettings,
} from './build-rate-limit-charges.js'
export { formatRateLimitHeaders, RATE_LIMIT_HEADERS } from './format-rate-limit-headers.js'
export { formatGoDuration } from './format-go-duration.js'
export { RateLimitedError } from './rate-limited-error.js'
export { createRateLimiterFor } from './create-rate-limiter.js'
