import type { Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { createManualClock } from '../lib/clock.js'
import { createRedisRateLimiter, type RateLimitFallbackEvent } from './redis-rate-limiter.js'
import type { RateLimitCharge } from './rate-limiter.js'

const charges: RateLimitCharge[] = [
  {
    rateLimit: { key: 'k:requests', kind: 'requests', scope: 'key', limit: 2, windowMs: 60_000 },
    cost: 1,
  },
]

/** A stand-in for the parts of ioredis the limiter calls. */
function fakeRedis(calls: { evalsha: () => Promise<unknown>; eval?: () => Promise<unknown> }) {
  return {
    evalsha: vi.fn(calls.evalsha),
    eval: vi.fn(calls.eval ?? (() => Promise.reject(new Error('unexpected EVAL')))),
  }
}

describe('redis rate limiter (without Redis)', () => {
  it('falls back to per-process limits when Redis fails, and says so once', async () => {
    const clock = createManualClock()
    const events: RateLimitFallbackEvent[] = []
    const redis = fakeRedis({ evalsha: () => Promise.reject(new Error('connect ECONNREFUSED')) })
    const limiter = createRedisRateLimiter({
      redis: redis as unknown as Redis,
      clock,
      onFallback: (event) => events.push(event),
    })
    expect((await limiter.consume(charges)).allowed).toBe(true)
    expect((await limiter.consume(charges)).allowed).toBe(true)
    expect((await limiter.consume(charges)).allowed).toBe(false) // the local limit holds
    expect(events.map((e) => e.firstSinceHealthy)).toEqual([true, false, false])
    // Within retryAfterFailureMs the limiter does not even try Redis.
    expect(redis.evalsha).toHaveBeenCalledTimes(1)
  })

  it('goes back to Redis once it answers again', async () => {
    const clock = createManualClock()
    let up = false
    const onRecovered = vi.fn()
    const redis = fakeRedis({
      evalsha: () => (up ? Promise.resolve([0, 0, 1, 1000]) : Promise.reject(new Error('down'))),
    })
    const limiter = createRedisRateLimiter({
      redis: redis as unknown as Redis,
      clock,
      onRecovered,
    })
    await limiter.consume(charges)
    up = true
    clock.advance(1_000)
    const decision = await limiter.consume(charges)
    expect(decision).toEqual({
      allowed: true,
      states: [{ rateLimit: charges[0]!.rateLimit, remaining: 1, resetMs: 1_000 }],
    })
    expect(onRecovered).toHaveBeenCalledOnce()
  })

  it('falls back when Redis is too slow', async () => {
    const events: RateLimitFallbackEvent[] = []
    const redis = fakeRedis({ evalsha: () => new Promise(() => undefined) })
    const limiter = createRedisRateLimiter({
      redis: redis as unknown as Redis,
      clock: createManualClock(),
      timeoutMs: 20,
      onFallback: (event) => events.push(event),
    })
    expect((await limiter.consume(charges)).allowed).toBe(true)
    expect(String(events[0]?.error)).toMatch(/within 20ms/)
  })

  it('loads the script with EVAL when the server does not know it', async () => {
    const redis = fakeRedis({
      evalsha: () => Promise.reject(new Error('NOSCRIPT No matching script.')),
      eval: () => Promise.resolve([1, 1500, 0, 60_000]),
    })
    const limiter = createRedisRateLimiter({
      redis: redis as unknown as Redis,
      clock: createManualClock(),
    })
    const decision = await limiter.consume(charges)
    expect(decision).toMatchObject({
      allowed: false,
      refusal: { index: 0, retryAfterMs: 1500 },
      states: [{ remaining: 0, resetMs: 60_000 }],
    })
    expect(redis.eval).toHaveBeenCalledOnce()
  })

  it('reads a refusal for a request larger than the limit', async () => {
    const redis = fakeRedis({ evalsha: () => Promise.resolve([1, -1, 2, 0]) })
    const limiter = createRedisRateLimiter({
      redis: redis as unknown as Redis,
      clock: createManualClock(),
    })
    const decision = await limiter.consume(charges)
    expect(decision.allowed || decision.refusal.retryAfterMs).toBeUndefined()
  })

  it('does not call Redis for a request without limits', async () => {
    const redis = fakeRedis({ evalsha: () => Promise.reject(new Error('unexpected')) })
    const limiter = createRedisRateLimiter({
      redis: redis as unknown as Redis,
      clock: createManualClock(),
    })
    expect(await limiter.consume([])).toEqual({ allowed: true, states: [] })
    await limiter.adjust([])
    expect(redis.evalsha).not.toHaveBeenCalled()
  })
})
