/**
 * The `RateLimiter` port: requests and tokens per window, per key and per organization,
 * checked for one request in one call (one Redis round trip in scale-out mode).
 *
 * The algorithm is GCRA (the generic cell rate algorithm): each counter is one number, the
 * theoretical arrival time (TAT), which makes the check atomic in a Redis script and lets
 * tokens be refunded or charged after the fact by moving that number.
 */
export const RATE_LIMIT_KINDS = ['requests', 'tokens'] as const
export type RateLimitKind = (typeof RATE_LIMIT_KINDS)[number]

export const RATE_LIMIT_SCOPES = ['key', 'organization'] as const
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number]

/** One limit: `limit` units per `windowMs`, counted under `key`. */
export interface RateLimit {
  /** Counter name, one per limited subject and kind (see `buildRateLimitCharges`). */
  readonly key: string
  readonly kind: RateLimitKind
  readonly scope: RateLimitScope
  /** Units allowed per window (requests or tokens): a whole number, at least 1. */
  readonly limit: number
  readonly windowMs: number
}

/** Units to take from one limit (negative in `adjust`: a refund). */
export interface RateLimitCharge {
  readonly rateLimit: RateLimit
  readonly cost: number
}

/** A limit as it stands after a decision, for the `x-ratelimit-*` headers. */
export interface RateLimitState {
  readonly rateLimit: RateLimit
  /** Whole units available now (after this request's charge when it was allowed). */
  readonly remaining: number
  /** Time until the limit is back to its initial, full state. */
  readonly resetMs: number
}

/** Why a request was refused. */
export interface RateLimitRefusal {
  /** Index into the charges (and states) of the limit that refused: the one with the longest wait. */
  readonly index: number
  readonly charge: RateLimitCharge
  /** Wait until the same request would pass; `undefined`: never (it costs more than the limit). */
  readonly retryAfterMs: number | undefined
}

/**
 * All charges were taken, or none was (a refusal consumes nothing). `states` follows the order
 * of the charges.
 */
export type RateLimitDecision =
  | { readonly allowed: true; readonly states: readonly RateLimitState[] }
  | {
      readonly allowed: false
      readonly states: readonly RateLimitState[]
      readonly refusal: RateLimitRefusal
    }

/** A refusal, as `RateLimitedError` takes it. */
export type RateLimitRefused = Extract<RateLimitDecision, { allowed: false }>

/** In memory (one process) or in Redis (shared by every instance). */
export interface RateLimiter {
  /** Take every charge if every limit allows it, atomically; otherwise take nothing. */
  consume(charges: readonly RateLimitCharge[]): Promise<RateLimitDecision>
  /**
   * Move counters by signed costs without refusing: charge the tokens used beyond the
   * estimate, or refund the unused part (never below an empty counter).
   */
  adjust(charges: readonly RateLimitCharge[]): Promise<void>
  close(): Promise<void>
}
