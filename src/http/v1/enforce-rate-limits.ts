import type { FastifyReply } from 'fastify'
import type { AuthenticatedKey } from '../../keys/index.js'
import type { RateLimits } from '../../organizations/index.js'
import {
  RateLimitedError,
  buildRateLimitCharges,
  buildTokenAdjustments,
  formatRateLimitHeaders,
  type RateLimitCharge,
  type RateLimiter,
} from '../../rate-limits/index.js'

/**
 * Take this request's share of the key's and organization's per-minute limits before any work
 * is done: a refusal is a 429 in OpenAI's shape with `retry-after`, and consumes nothing. On
 * success the `x-ratelimit-*` headers go on the reply. Returns the charges, to correct the
 * token estimate once the real usage is known.
 */
export async function enforceRateLimits(options: {
  limiter: RateLimiter
  key: AuthenticatedKey
  /** Limits the budget policies in force add; the stricter of each pair applies. */
  policyLimits?: { key: RateLimits; organization: RateLimits }
  estimatedTokens: number
  reply: FastifyReply
}): Promise<RateLimitCharge[]> {
  const { policyLimits } = options
  const charges = buildRateLimitCharges({
    organizationId: options.key.organizationId,
    keyId: options.key.keyId,
    key: stricterLimits(options.key.rateLimits, policyLimits?.key),
    organization: stricterLimits(options.key.organizationRateLimits, policyLimits?.organization),
    estimatedTokens: options.estimatedTokens,
  })
  if (charges.length === 0) return charges
  const decision = await options.limiter.consume(charges)
  if (!decision.allowed) throw new RateLimitedError(decision)
  void options.reply.headers(formatRateLimitHeaders(decision))
  return charges
}

/** Each limit set in either, at the lower value where both set it. */
export function stricterLimits(own: RateLimits, policy: RateLimits | undefined): RateLimits {
  if (policy === undefined) return own
  const lower = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : Math.min(a, b)
  const requestsPerMinute = lower(own.requestsPerMinute, policy.requestsPerMinute)
  const tokensPerMinute = lower(own.tokensPerMinute, policy.tokensPerMinute)
  return {
    ...(requestsPerMinute !== undefined ? { requestsPerMinute } : {}),
    ...(tokensPerMinute !== undefined ? { tokensPerMinute } : {}),
  }
}

/** Replace the token estimate by the tokens actually used (refund or extra charge). */
export async function settleRateLimitTokens(options: {
  limiter: RateLimiter
  charges: readonly RateLimitCharge[]
  actualTokens: number
}): Promise<void> {
  const adjustments = buildTokenAdjustments(options.charges, { actualTokens: options.actualTokens })
  if (adjustments.length > 0) await options.limiter.adjust(adjustments)
}
