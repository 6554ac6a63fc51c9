import type { RateLimitCharge } from './rate-limiter.js'

/** Float slack, so 0.1 + 0.2 style rounding never refuses a request that fits exactly. */
export const GCRA_EPSILON = 1e-6

export interface GcraInput {
  mode: 'consume' | 'adjust'
  nowMs: number
  charges: readonly RateLimitCharge[]
  /** Stored theoretical arrival time per charge (epoch ms); undefined: never used or expired. */
  tats: readonly (number | undefined)[]
}

export interface GcraOutcome {
  /** Index of the refusing charge, or -1. Always -1 in `adjust` mode. */
  refusedIndex: number
  /** Wait in whole ms for a refusal; undefined when the cost exceeds the limit. */
  retryAfterMs: number | undefined
  /** The TAT to store per charge when not refused (store nothing when refused). */
  tats: number[]
  states: { remaining: number; resetMs: number }[]
}

/**
 * GCRA over several limits at once, all or nothing. Per limit, the emission interval is
 * `windowMs / limit`; a charge of `cost` moves the TAT by `cost × interval`, and it is allowed
 * when the new TAT is at most one window ahead of now. A full window of burst is allowed, and
 * an idle limit returns to full after at most one window.
 *
 * The Redis script (`gcra-lua.ts`) is this function line for line; keep them in step.
 */
export function applyGcra(input: GcraInput): GcraOutcome {
  const { mode, nowMs: now, charges } = input
  const bases: number[] = []
  let refusedIndex = -1
  let wait = 0
  let tooLarge = false
  charges.forEach((charge, i) => {
    const { limit, windowMs } = charge.rateLimit
    const interval = windowMs / limit
    const base = Math.max(input.tats[i] ?? now, now)
    bases.push(base)
    if (mode !== 'consume' || tooLarge) return
    if (charge.cost > limit) {
      refusedIndex = i
      tooLarge = true
      return
    }
    const needed = base + charge.cost * interval - windowMs - now
    if (needed > GCRA_EPSILON && needed > wait) {
      refusedIndex = i
      wait = needed
    }
  })
  const tats = charges.map((charge, i) => {
    const interval = charge.rateLimit.windowMs / charge.rateLimit.limit
    return refusedIndex === -1 ? Math.max(now, bases[i]! + charge.cost * interval) : bases[i]!
  })
  const states = charges.map((charge, i) => {
    const { limit, windowMs } = charge.rateLimit
    const interval = windowMs / limit
    const after = tats[i]!
    const remaining = Math.floor((now + windowMs - after) / interval + GCRA_EPSILON)
    return {
      remaining: Math.min(limit, Math.max(0, remaining)),
      resetMs: Math.max(0, Math.ceil(after - now)),
    }
  })
  return {
    refusedIndex,
    retryAfterMs: refusedIndex === -1 || tooLarge ? undefined : Math.ceil(wait),
    tats,
    states,
  }
}

/** Throw a TypeError for a limit or cost that would make the arithmetic meaningless. */
export function assertValidCharges(
  charges: readonly RateLimitCharge[],
  mode: GcraInput['mode'],
): void {
  for (const { rateLimit, cost } of charges) {
    if (!Number.isInteger(rateLimit.limit) || rateLimit.limit < 1) {
      throw new TypeError(`rate limit ${rateLimit.key}: limit must be a whole number ≥ 1`)
    }
    if (!Number.isFinite(rateLimit.windowMs) || rateLimit.windowMs <= 0) {
      throw new TypeError(`rate limit ${rateLimit.key}: windowMs must be positive`)
    }
    if (!Number.isFinite(cost) || (mode === 'consume' && cost < 0)) {
      throw new TypeError(`rate limit ${rateLimit.key}: invalid cost ${cost}`)
    }
  }
}
