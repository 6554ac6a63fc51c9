import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createManualClock } from '../lib/clock.js'
import {
  buildRateLimitCharges,
  buildRefund,
  buildTokenAdjustments,
} from './build-rate-limit-charges.js'
import { createMemoryRateLimiter } from './memory-rate-limiter.js'
import type { RateLimit, RateLimitCharge } from './rate-limiter.js'

const rpm = (limit: number, key = 'k:requests'): RateLimit => ({
  key,
  kind: 'requests',
  scope: 'key',
  limit,
  windowMs: 60_000,
})
const tpm = (limit: number, key = 'k:tokens'): RateLimit => ({
  key,
  kind: 'tokens',
  scope: 'key',
  limit,
  windowMs: 60_000,
})
const charge = (rateLimit: RateLimit, cost = 1): RateLimitCharge => ({ rateLimit, cost })

function setup() {
  const clock = createManualClock()
  return { clock, limiter: createMemoryRateLimiter({ clock }) }
}

describe('memory rate limiter', () => {
  it('allows a full window of burst, then refuses with the time until one more fits', () => {
    const { limiter } = setup()
    for (let i = 0; i < 60; i++) expect(limiter.consumeNow([charge(rpm(60))]).allowed).toBe(true)
    const refused = limiter.consumeNow([charge(rpm(60))])
    expect(refused).toMatchObject({
      allowed: false,
      refusal: { index: 0, retryAfterMs: 1_000 },
      states: [{ remaining: 0, resetMs: 60_000 }],
    })
  })

  it('reports remaining and reset after each request', () => {
    const { limiter, clock } = setup()
    expect(limiter.consumeNow([charge(rpm(60))]).states[0]).toMatchObject({
      remaining: 59,
      resetMs: 1_000,
    })
    clock.advance(500)
    expect(limiter.consumeNow([charge(rpm(60))]).states[0]).toMatchObject({
      remaining: 58,
      resetMs: 1_500,
    })
  })

  it('refills at the limit rate: one request per second at 60 RPM', () => {
    const { limiter, clock } = setup()
    for (let i = 0; i < 60; i++) limiter.consumeNow([charge(rpm(60))])
    clock.advance(999)
    expect(limiter.consumeNow([charge(rpm(60))]).allowed).toBe(false)
    clock.advance(1)
    expect(limiter.consumeNow([charge(rpm(60))]).allowed).toBe(true)
    expect(limiter.consumeNow([charge(rpm(60))]).allowed).toBe(false)
    clock.advance(60_000)
    expect(limiter.consumeNow([charge(rpm(60))]).states[0]!.remaining).toBe(59)
  })

  it('checks all limits at once and consumes nothing when one refuses', () => {
    const { limiter } = setup()
    const key = tpm(1_000, 'key:tokens')
    const org = tpm(500, 'org:tokens')
    expect(limiter.consumeNow([charge(key, 400), charge(org, 400)]).allowed).toBe(true)
    const refused = limiter.consumeNow([charge(key, 200), charge(org, 200)])
    expect(refused.allowed).toBe(false)
    if (refused.allowed) return
    expect(refused.refusal.index).toBe(1)
    expect(refused.refusal.retryAfterMs).toBe(12_000) // 100 tokens at 500/min
    expect(refused.states.map((s) => s.remaining)).toEqual([600, 100])
    // The key limit was not charged for the refused request.
    expect(limiter.consumeNow([charge(key, 600)]).allowed).toBe(true)
  })

  it('reports the longest wait among the limits that refuse', () => {
    const { limiter } = setup()
    const fast = rpm(600, 'fast')
    const slow = rpm(6, 'slow')
    for (let i = 0; i < 6; i++) limiter.consumeNow([charge(fast), charge(slow)])
    for (let i = 0; i < 594; i++) limiter.consumeNow([charge(fast)])
    const refused = limiter.consumeNow([charge(fast), charge(slow)])
    expect(refused.allowed || refused.refusal).toMatchObject({ index: 1, retryAfterMs: 10_000 })
  })

  it('refuses for good a request that costs more than the limit', () => {
    const { limiter } = setup()
    const refused = limiter.consumeNow([charge(rpm(10)), charge(tpm(1_000), 1_001)])
    expect(refused.allowed || refused.refusal).toMatchObject({ index: 1, retryAfterMs: undefined })
    expect(limiter.consumeNow([charge(rpm(10))]).states[0]!.remaining).toBe(9)
  })

  it('refunds unused tokens and charges tokens used beyond the estimate', () => {
    const { limiter } = setup()
    const charges = buildRateLimitCharges({
      organizationId: 'org_1',
      keyId: 'key_1',
      key: { tokensPerMinute: 1_000 },
      organization: {},
      estimatedTokens: 800,
    })
    expect(limiter.consumeNow(charges).states[0]!.remaining).toBe(200)
    limiter.adjustNow(buildTokenAdjustments(charges, { actualTokens: 300 }))
    expect(limiter.consumeNow([charge(charges[0]!.rateLimit, 0)]).states[0]!.remaining).toBe(700)
    limiter.adjustNow([charge(charges[0]!.rateLimit, 1_500)]) // far beyond: a debt
    const inDebt = limiter.consumeNow([charge(charges[0]!.rateLimit, 0)])
    expect(inDebt.allowed).toBe(false)
    expect(inDebt.allowed || inDebt.refusal.retryAfterMs).toBe(48_000)
  })

  it('never refunds below an empty counter', () => {
    const { limiter } = setup()
    const charges = [charge(tpm(1_000), 100)]
    limiter.consumeNow(charges)
    limiter.adjustNow(buildRefund(charges))
    limiter.adjustNow(buildRefund(charges))
    expect(limiter.consumeNow([charge(tpm(1_000), 1_000)]).allowed).toBe(true)
    expect(limiter.size).toBe(1)
  })

  it('forgets counters that are back to full', () => {
    const clock = createManualClock()
    const limiter = createMemoryRateLimiter({ clock, maxCounters: 10 })
    for (let i = 0; i < 10; i++) limiter.consumeNow([charge(rpm(60, `idle${i}`))])
    clock.advance(2_000)
    for (let i = 0; i < 5; i++) limiter.consumeNow([charge(rpm(60, `busy${i}`))])
    expect(limiter.size).toBe(5)
  })

  it('rejects nonsense limits and costs', () => {
    const { limiter } = setup()
    expect(() => limiter.consumeNow([charge(rpm(0))])).toThrow(TypeError)
    expect(() => limiter.consumeNow([charge(rpm(1.5))])).toThrow(TypeError)
    expect(() => limiter.consumeNow([charge(rpm(10), -1)])).toThrow(TypeError)
    expect(() => limiter.consumeNow([charge(rpm(10), Number.NaN)])).toThrow(TypeError)
    expect(() => limiter.consumeNow([{ rateLimit: { ...rpm(10), windowMs: 0 }, cost: 1 }])).toThrow(
      TypeError,
    )
  })

  it('never lets more than limit + refill through, whatever the arrival pattern', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.record({ gapMs: fc.nat(3_000), cost: fc.integer({ min: 0, max: 40 }) }), {
          maxLength: 200,
        }),
        (limit, arrivals) => {
          const { limiter, clock } = setup()
          const rateLimit = tpm(limit)
          let allowedUnits = 0
          let elapsedMs = 0
          for (const { gapMs, cost } of arrivals) {
            clock.advance(gapMs)
            elapsedMs += gapMs
            if (limiter.consumeNow([charge(rateLimit, cost)]).allowed) allowedUnits += cost
          }
          // A full burst at the start plus what the elapsed time refilled.
          expect(allowedUnits).toBeLessThanOrEqual(limit + Math.floor((elapsedMs * limit) / 60_000))
        },
      ),
    )
  })
})
