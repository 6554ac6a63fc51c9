import type { Redis } from 'ioredis'
import type { Clock } from '../lib/clock.js'
import { assertValidCharges } from './gcra.js'
import { GCRA_LUA, GCRA_LUA_SHA } from './gcra-lua.js'
import { createMemoryRateLimiter, type MemoryRateLimiter } from './memory-rate-limiter.js'
import type { RateLimitCharge, RateLimitDecision, RateLimiter } from './rate-limiter.js'
import { toDecision } from './to-decision.js'

/** Reported each time the fallback answers instead of Redis. */
export interface RateLimitFallbackEvent {
  readonly error: unknown
  /** True for the first fallback after Redis last answered: log this one at warn. */
  readonly firstSinceHealthy: boolean
}

export interface RedisRateLimiterOptions {
  /**
   * A client the caller owns (not closed here). Create it with `enableOfflineQueue: false` and
   * `maxRetriesPerRequest: 0` so commands fail at once while Redis is away instead of queueing.
   */
  redis: Redis
  clock: Clock
  /** Prefix of every counter key; one per deployment (and per test). @default 'ferry:rl:' */
  keyPrefix?: string
  /** Take time from Redis (`TIME`), one clock for every instance; false: from `clock`. @default true */
  useRedisTime?: boolean
  /** A Redis call slower than this falls back. @default 100 */
  timeoutMs?: number
  /** After a failure, skip Redis for this long so requests do not each wait for a timeout. @default 1000 */
  retryAfterFailureMs?: number
  /** Per-process limits while Redis is away. @default createMemoryRateLimiter({ clock }) */
  fallback?: MemoryRateLimiter
  /** Count fallbacks (a metric) and warn on `firstSinceHealthy`. */
  onFallback?: (event: RateLimitFallbackEvent) => void
  /** Redis answers again after a fallback. */
  onRecovered?: () => void
}

/**
 * Shared rate limits in Redis: every instance enforces one limit, and each request checks and
 * consumes all its limits in one EVALSHA. When Redis is unreachable or slow, the limiter falls
 * back to per-process limits and reports it; it never fails a request because of Redis.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { redis, clock } = options
  const keyPrefix = options.keyPrefix ?? 'ferry:rl:'
  const useRedisTime = options.useRedisTime ?? true
  const timeoutMs = options.timeoutMs ?? 100
  const retryAfterFailureMs = options.retryAfterFailureMs ?? 1_000
  const fallback = options.fallback ?? createMemoryRateLimiter({ clock })
  let healthy = true
  let skipRedisUntilMs = 0

  const evaluate = async (
    charges: readonly RateLimitCharge[],
    mode: 'consume' | 'adjust',
  ): Promise<number[]> => {
    const keys = charges.map((c) => keyPrefix + c.rateLimit.key)
    const args = [mode, useRedisTime ? '' : String(clock.nowMs())]
    for (const { rateLimit, cost } of charges) {
      args.push(String(rateLimit.limit), String(rateLimit.windowMs), String(cost))
    }
    try {
      return (await redis.evalsha(GCRA_LUA_SHA, keys.length, ...keys, ...args)) as number[]
    } catch (error) {
      // First call on this server, or after SCRIPT FLUSH: EVAL loads the script for next time.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return (await redis.eval(GCRA_LUA, keys.length, ...keys, ...args)) as number[]
    }
  }

  /** Run on Redis, or on the fallback when Redis is known down, fails or is too slow. */
  const withFallback = async <T>(onRedis: () => Promise<T>, onFallback: () => T): Promise<T> => {
    if (clock.nowMs() < skipRedisUntilMs) {
      options.onFallback?.({ error: new Error('redis unavailable'), firstSinceHealthy: false })
      return onFallback()
    }
    try {
      const result = await withTimeout(onRedis(), timeoutMs)
      if (!healthy) {
        healthy = true
        options.onRecovered?.()
      }
      return result
    } catch (error) {
      skipRedisUntilMs = clock.nowMs() + retryAfterFailureMs
      options.onFallback?.({ error, firstSinceHealthy: healthy })
      healthy = false
      return onFallback()
    }
  }

  return {
    consume: async (charges): Promise<RateLimitDecision> => {
      assertValidCharges(charges, 'consume')
      if (charges.length === 0) return { allowed: true, states: [] }
      return withFallback(
        async () => toDecision(charges, parseReply(await evaluate(charges, 'consume'))),
        () => fallback.consumeNow(charges),
      )
    },
    adjust: async (charges) => {
      assertValidCharges(charges, 'adjust')
      if (charges.length === 0) return
      await withFallback(
        async () => {
          await evaluate(charges, 'adjust')
        },
        () => fallback.adjustNow(charges),
      )
    },
    close: () => fallback.close(),
  }
}

function parseReply(reply: readonly number[]) {
  const [refused = 0, retry = 0, ...rest] = reply.map(Number)
  const states: { remaining: number; resetMs: number }[] = []
  for (let i = 0; i + 1 < rest.length; i += 2) {
    states.push({ remaining: rest[i]!, resetMs: rest[i + 1]! })
  }
  return {
    refusedIndex: refused - 1,
    retryAfterMs: refused === 0 || retry < 0 ? undefined : retry,
    states,
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis did not answer within ${timeoutMs}ms`)),
      timeoutMs,
    )
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error instanceof Error ? error : new Error(String(error)))
      },
    )
  })
}
