import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createManualClock, systemClock } from '../../../src/lib/clock.js'
import {
  buildRateLimitCharges,
  buildTokenAdjustments,
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type RateLimit,
  type RateLimitCharge,
  type RateLimitFallbackEvent,
} from '../../../src/rate-limits/index.js'
import { TEST_REDIS_URL } from '../../support/services.js'

/** A key prefix no other test file (or run) uses. */
const uniquePrefix = () => `ferry:test:rl:${randomBytes(6).toString('hex')}:`

/** Client settings the limiter documents: fail fast instead of queueing while Redis is away. */
const FAIL_FAST = { enableOfflineQueue: false, maxRetriesPerRequest: 0 } as const

const rpm = (limit: number, key = 'k:requests'): RateLimit => ({
  key,
  kind: 'requests',
  scope: 'key',
  limit,
  windowMs: 60_000,
})

/** Fails the test if Redis did not answer: the fallback must not hide a broken script. */
const noFallback = (event: RateLimitFallbackEvent) => {
  throw new Error(`unexpected fallback: ${String(event.error)}`)
}

describe.skipIf(!inject('redisAvailable'))('redis rate limiter', () => {
  const clients: Redis[] = []
  const connect = async () => {
    const redis = new Redis(TEST_REDIS_URL, { ...FAIL_FAST, lazyConnect: true })
    await redis.connect()
    clients.push(redis)
    return redis
  }
  let admin: Redis
  beforeAll(async () => {
    admin = await connect()
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()))
  })

  it('enforces one limit shared by two instances', async () => {
    const keyPrefix = uniquePrefix()
    // A generous timeout: on a loaded CI machine a slow Redis reply must not trigger the fallback.
    const options = { clock: systemClock, keyPrefix, onFallback: noFallback, timeoutMs: 5_000 }
    const one = createRedisRateLimiter({ ...options, redis: await connect() })
    const two = createRedisRateLimiter({ ...options, redis: await connect() })
    const charges = buildRateLimitCharges({
      organizationId: 'org_shared',
      keyId: 'key_shared',
      key: { requestsPerMinute: 10 },
      organization: { requestsPerMinute: 1_000, tokensPerMinute: 5_000 },
      estimatedTokens: 100,
    })
    const startedMs = Date.now()
    const decisions = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? one : two).consume(charges)),
    )
    const allowed = decisions.filter((d) => d.allowed)
    expect(allowed).toHaveLength(10)
    const refused = decisions.find((d) => !d.allowed)
    expect(refused?.allowed === false && refused.refusal.index).toBe(0)
    // Refused requests consumed nothing from the organization's limits: only the 10 admitted
    // took 100 tokens each. The limit refills on the real clock (5,000 a minute, one token per
    // 12 ms), so a slow machine sees what refilled since the first request on top.
    const orgTokens = await one.consume([{ rateLimit: charges[2]!.rateLimit, cost: 0 }])
    const refilled = Math.ceil(((Date.now() - startedMs) * 5_000) / 60_000)
    const remaining = orgTokens.states[0]!.remaining
    expect(remaining).toBeGreaterThanOrEqual(5_000 - 10 * 100)
    expect(remaining).toBeLessThanOrEqual(5_000 - 10 * 100 + refilled)
  })

  it('refunds on one instance what another consumed', async () => {
    const keyPrefix = uniquePrefix()
    // A generous timeout: on a loaded CI machine a slow Redis reply must not trigger the fallback.
    const options = { clock: systemClock, keyPrefix, onFallback: noFallback, timeoutMs: 5_000 }
    const one = createRedisRateLimiter({ ...options, redis: await connect() })
    const two = createRedisRateLimiter({ ...options, redis: await connect() })
    const charges = buildRateLimitCharges({
      organizationId: 'org_1',
      keyId: 'key_1',
      key: { tokensPerMinute: 10_000 },
      organization: {},
      estimatedTokens: 8_000,
    })
    expect((await one.consume(charges)).allowed).toBe(true)
    expect((await two.consume(charges)).allowed).toBe(false)
    await one.adjust(buildTokenAdjustments(charges, { actualTokens: 500 }))
    const after = await two.consume(charges)
    expect(after.allowed).toBe(true)
    expect(after.states[0]!.remaining).toBeLessThanOrEqual(1_500)
    expect(after.states[0]!.remaining).toBeGreaterThanOrEqual(1_499)
  })

  it('decides exactly as the in-memory limiter does, step for step', async () => {
    const redis = await connect()
    const limits = [rpm(7, 'a'), { ...rpm(1_000, 'b'), kind: 'tokens' as const }]
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            gapMs: fc.nat(20_000),
            cost: fc.integer({ min: 0, max: 400 }),
            adjust: fc.integer({ min: -500, max: 500 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        async (steps) => {
          const clock = createManualClock()
          const memory = createMemoryRateLimiter({ clock })
          const shared = createRedisRateLimiter({
            redis,
            clock,
            keyPrefix: uniquePrefix(),
            useRedisTime: false,
            onFallback: noFallback,
          })
          for (const { gapMs, cost, adjust } of steps) {
            clock.advance(gapMs)
            const charges: RateLimitCharge[] = [
              { rateLimit: limits[0]!, cost: 1 },
              { rateLimit: limits[1]!, cost },
            ]
            expect(await shared.consume(charges)).toEqual(memory.consumeNow(charges))
            const correction = [{ rateLimit: limits[1]!, cost: adjust }]
            await shared.adjust(correction)
            memory.adjustNow(correction)
          }
        },
      ),
      { numRuns: 25 },
    )
  })

  it('lets its counters expire once they are back to full', async () => {
    const keyPrefix = uniquePrefix()
    const limiter = createRedisRateLimiter({
      redis: await connect(),
      clock: systemClock,
      keyPrefix,
      onFallback: noFallback,
    })
    await limiter.consume([{ rateLimit: rpm(60), cost: 1 }])
    const ttl = await admin.pttl(`${keyPrefix}k:requests`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(1_000)
  })

  it('falls back to per-process limits, with a warning, when Redis is unreachable', async () => {
    // Nothing listens on port 1: every command fails at once.
    const down = new Redis({ port: 1, ...FAIL_FAST, lazyConnect: true, retryStrategy: () => null })
    const events: RateLimitFallbackEvent[] = []
    const limiter = createRedisRateLimiter({
      redis: down,
      clock: systemClock,
      keyPrefix: uniquePrefix(),
      onFallback: (event) => events.push(event),
    })
    const decisions = []
    for (let i = 0; i < 4; i++)
      decisions.push(await limiter.consume([{ rateLimit: rpm(3), cost: 1 }]))
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false])
    expect(events[0]!.firstSinceHealthy).toBe(true)
    expect(events.slice(1).every((e) => !e.firstSinceHealthy)).toBe(true)
    down.disconnect()
  })
})
