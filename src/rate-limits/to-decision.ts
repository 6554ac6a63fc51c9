import type { GcraOutcome } from './gcra.js'
import type { RateLimitCharge, RateLimitDecision } from './rate-limiter.js'

/** Shape a GCRA outcome (computed here or by the Redis script) as the port's decision. */
export function toDecision(
  charges: readonly RateLimitCharge[],
  outcome: Pick<GcraOutcome, 'refusedIndex' | 'retryAfterMs' | 'states'>,
): RateLimitDecision {
  const states = charges.map((charge, i) => ({
    rateLimit: charge.rateLimit,
    remaining: outcome.states[i]!.remaining,
    resetMs: outcome.states[i]!.resetMs,
  }))
  const refused = charges[outcome.refusedIndex]
  if (refused === undefined) return { allowed: true, states }
  return {
    allowed: false,
    states,
    refusal: { index: outcome.refusedIndex, charge: refused, retryAfterMs: outcome.retryAfterMs },
  }
}
