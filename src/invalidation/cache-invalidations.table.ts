import type { Generated } from 'kysely'

/**
 * `cache_invalidations`: the change log the `sqlite-change-counter` transport polls. One row per
 * published message; rows older than the retention are pruned. Created on both dialects so the
 * schema is one, but only SQLite deployments write it (PostgreSQL uses LISTEN/NOTIFY).
 */
export interface CacheInvalidationsTable {
  /** Monotonic: SQLite AUTOINCREMENT, so a poller can ask for everything after what it saw. */
  change_id: Generated<bigint>
  kind: string
  /** Null for `all`. */
  target_id: string | null
  /** The publishing instance, so it skips its own rows (it delivered them already). */
  origin_id: string
  created_at: string
}
