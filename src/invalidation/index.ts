export {
  INVALIDATION_KINDS,
  INVALIDATION_TRANSPORTS,
  type CacheInvalidation,
  type InvalidationErrorHandler,
  type InvalidationHandler,
  type InvalidationKind,
  type InvalidationMessage,
  type InvalidationTransport,
} from './cache-invalidation.js'
export { isInvalidationMessage, dedupeInvalidations } from './encode-invalidation.js'
export { createLocalInvalidation } from './local-invalidation.js'
export {
  createSqliteChangeCounterInvalidation,
  type SqliteChangeCounterOptions,
} from './sqlite-change-counter-invalidation.js'
export {
  createPostgresListenNotifyInvalidation,
  type PostgresListenNotifyOptions,
} from './postgres-listen-notify-invalidation.js'
export {
  createRedisPubSubInvalidation,
  type RedisPubSubOptions,
} from './redis-pubsub-invalidation.js'
export { publishAfterCommit, type StageInvalidation } from './publish-after-commit.js'
export type { CacheInvalidationsTable } from './cache-invalidations.table.js'
export { combineInvalidations } from './combined-invalidation.js'
