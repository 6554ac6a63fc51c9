import type { Clock } from '../lib/clock.js'
import { applyGcra, assertValidCharges } from './gcra.js'
import type { RateLimitCharge, RateLimitDecision, RateLimiter } from './rate-limiter.js'
import { toDecision } from './to-decision.js'

export interface MemoryRateLimiterOptions {
  clock: Clock
  /**
   * Counters kept at most. Past it, idle counters (already back to full) go first, then the
   * oldest; dropping a busy counter forgives its usage, which beats unbounded memory.
   * @default 100000
   */
  maxCounters?: number
}

/** The per-process limiter; its synchronous forms serve as the Redis limiter's fallback. */
export interface MemoryRateLimiter extends RateLimiter {
  consumeNow(charges: readonly RateLimitCharge[]): RateLimitDecision
  adjustNow(charges: readonly RateLimitCharge[]): void
  /** Counters held. */
  readonly size: number
}

/**
 * Rate limits in this process's memory: exact for a single gateway, per instance when several
 * run (each enforces the whole limit).
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions): MemoryRateLimiter {
  const { clock } = options
  const maxCounters = options.maxCounters ?? 100_000
  const tats = new Map<string, number>()

  const trim = (now: number): void => {
    if (tats.size <= maxCounters) return
    for (const [key, tat] of tats) if (tat <= now) tats.delete(key)
    for (const key of tats.keys()) {
      if (tats.size <= maxCounters) break
      tats.delete(key)
    }
  }

  const run = (charges: readonly RateLimitCharge[], mode: 'consume' | 'adjust') => {
    assertValidCharges(charges, mode)
    const now = clock.nowMs()
    const outcome = applyGcra({
      mode,
      nowMs: now,
      charges,
      tats: charges.map((c) => tats.get(c.rateLimit.key)),
    })
    if (outcome.refusedIndex === -1) {
      charges.forEach((charge, i) => {
        const tat = outcome.tats[i]!
        if (tat > now) tats.set(charge.rateLimit.key, tat)
        else tats.delete(charge.rateLimit.key)
      })
      trim(now)
    }
    return outcome
  }

  const consumeNow = (charges: readonly RateLimitCharge[]): RateLimitDecision =>
    toDecision(charges, run(charges, 'consume'))
  const adjustNow = (charges: readonly RateLimitCharge[]): void => {
    run(charges, 'adjust')
  }

  return {
    consumeNow,
    adjustNow,
    consume: (charges) => Promise.resolve(consumeNow(charges)),
    adjust: (charges) => Promise.resolve(adjustNow(charges)),
    close: () => Promise.resolve(),
    get size() {
      return tats.size
    },
  }
}
