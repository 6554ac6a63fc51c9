import { Redis } from 'ioredis'
import type { Clock } from '../lib/clock.js'
import type { DatabaseHandle } from '../storage/index.js'
import type { CacheInvalidation, InvalidationErrorHandler } from './cache-invalidation.js'
import { combineInvalidations } from './combined-invalidation.js'
import { createPostgresListenNotifyInvalidation } from './postgres-listen-notify-invalidation.js'
import { createRedisPubSubInvalidation } from './redis-pubsub-invalidation.js'
import { createSqliteChangeCounterInvalidation } from './sqlite-change-counter-invalidation.js'

/**
 * The transport every process on one deployment agrees on: the database's own (PostgreSQL
 * LISTEN/NOTIFY, else the SQLite change counter), and Redis pub/sub beside it when Redis is
 * configured. The gateway and
 * the CLI both call this, so a revocation from the CLI reaches the running gateway.
 */
export function createInvalidationFor(options: {
  database: DatabaseHandle
  databaseUrl: string | undefined
  redisUrl: string | undefined
  /** `redis.keyPrefix`: the pub/sub channel is `<prefix>cache-invalidation`. @default 'ferry:' */
  redisKeyPrefix?: string
  clock: Clock
  onError?: InvalidationErrorHandler
}): CacheInvalidation {
  const onError = options.onError ?? (() => undefined)
  const database = databaseTransport(options, onError)
  if (!options.redisUrl) return database
  const redis = new Redis(options.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 })
  redis.on('error', onError)
  const transport = createRedisPubSubInvalidation({
    redis,
    onError,
    channel: `${options.redisKeyPrefix ?? 'ferry:'}cache-invalidation`,
  })
  // Redis carries invalidations fast; the database's transport carries them too, so a Redis
  // outage delays no revocation (docs/scale-out.md).
  return combineInvalidations(
    {
      ...transport,
      close: async () => {
        await transport.close()
        redis.disconnect()
      },
    },
    database,
  )
}

function databaseTransport(
  options: { database: DatabaseHandle; databaseUrl: string | undefined; clock: Clock },
  onError: InvalidationErrorHandler,
): CacheInvalidation {
  if (options.database.dialect === 'postgres' && options.databaseUrl) {
    return createPostgresListenNotifyInvalidation({
      db: options.database.db,
      connectionString: options.databaseUrl,
      onError,
    })
  }
  return createSqliteChangeCounterInvalidation({
    db: options.database.db,
    clock: options.clock,
    onError,
  })
}
