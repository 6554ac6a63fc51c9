import { Redis } from 'ioredis'
import type { Clock } from '../lib/clock.js'
import { createMemoryRateLimiter } from './memory-rate-limiter.js'
import type { RateLimiter } from './rate-limiter.js'
import { createRedisRateLimiter, type RateLimitFallbackEvent } from './redis-rate-limiter.js'

/**
 * Redis-backed limits shared by every instance when Redis is configured (falling back to
 * per-process limits while it is away), in-memory limits otherwise.
 */
export function createRateLimiterFor(options: {
  redisUrl: string | undefined
  /** `redis.keyPrefix`: counters are `<prefix>rl:…`. @default 'ferry:' */
  redisKeyPrefix?: string
  clock: Clock
  onFallback?: (event: RateLimitFallbackEvent) => void
  onRecovered?: () => void
}): RateLimiter {
  if (!options.redisUrl) return createMemoryRateLimiter({ clock: options.clock })
  // Fail fast while Redis is away: the fallback answers instead of a queue of waiting requests.
  const redis = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0 })
  redis.on('error', () => undefined)
  const limiter = createRedisRateLimiter({
    redis,
    clock: options.clock,
    keyPrefix: `${options.redisKeyPrefix ?? 'ferry:'}rl:`,
    ...(options.onFallback ? { onFallback: options.onFallback } : {}),
    ...(options.onRecovered ? { onRecovered: options.onRecovered } : {}),
  })
  return {
    ...limiter,
    close: async () => {
      await limiter.close()
      redis.disconnect()
    },
  }
}
