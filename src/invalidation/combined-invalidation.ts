import type { CacheInvalidation } from './cache-invalidation.js'

/**
 * Two transports as one: every message is published on both and heard from both, so either can
 * fail alone. Used for Redis pub/sub (fast, the primary) backed by the database's own transport
 * (PostgreSQL LISTEN/NOTIFY, or the SQLite change counter): a Redis outage then delays no
 * revocation. A message may arrive twice; invalidation is idempotent (a cache entry dropped
 * twice is dropped). Ready as soon as either is.
 */
export function combineInvalidations(
  primary: CacheInvalidation,
  backup: CacheInvalidation,
): CacheInvalidation {
  return {
    transport: primary.transport,
    publish: async (message) => {
      await Promise.all([primary.publish(message), backup.publish(message)])
    },
    subscribe: (handler) => {
      const fromPrimary = primary.subscribe(handler)
      const fromBackup = backup.subscribe(handler)
      return () => {
        fromPrimary()
        fromBackup()
      }
    },
    ready: () => Promise.race([primary.ready(), backup.ready()]),
    close: async () => {
      await Promise.all([primary.close(), backup.close()])
    },
  }
}
