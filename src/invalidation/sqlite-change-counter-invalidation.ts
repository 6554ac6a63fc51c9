import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { dialectOf, type Db } from '../storage/index.js'
import type {
  CacheInvalidation,
  InvalidationErrorHandler,
  InvalidationMessage,
} from './cache-invalidation.js'
import {
  deleteCacheInvalidationsBefore,
  findCacheInvalidationsAfter,
  findLatestCacheInvalidationId,
  insertCacheInvalidation,
  type CacheInvalidationRow,
} from './cache-invalidations.repository.js'
import { assertInvalidationMessage, isInvalidationMessage } from './encode-invalidation.js'
import { createSubscriberSet, ignoreInvalidationError, newOriginId } from './subscriber-set.js'

export interface SqliteChangeCounterOptions {
  /** The SQLite database. Every process on the same file sees the others' changes. */
  db: Db
  clock: Clock
  /** How often to look for new changes; a change is seen within one interval. @default 200 */
  pollIntervalMs?: number
  /** Changes older than this are pruned by the polling instances. @default 3600000 */
  retentionMs?: number
  onError?: InvalidationErrorHandler
}

// More new rows than this in one poll: drop every cache instead of replaying them one by one.
const BATCH = 500
const PRUNE_EVERY_MS = 60_000

/**
 * Invalidation for SQLite deployments: the gateway and the CLI share one file, and a change
 * made by the CLI must reach the gateway's caches within a second. Publishing appends a row to
 * `cache_invalidations`; every subscribed process polls for rows after the last one it saw (a
 * primary-key range read that finds nothing almost every time).
 *
 * Why not PostgreSQL: commits there can become visible out of ID order, so a poller could skip
 * a row; SQLite has one writer at a time, so IDs become visible in order.
 */
export function createSqliteChangeCounterInvalidation(
  options: SqliteChangeCounterOptions,
): CacheInvalidation {
  const { db, clock } = options
  if (dialectOf(db) !== 'sqlite') {
    throw new TypeError('sqlite-change-counter needs SQLite; use postgres-listen-notify')
  }
  const pollIntervalMs = options.pollIntervalMs ?? 200
  const retentionMs = options.retentionMs ?? 3_600_000
  const onError = options.onError ?? ignoreInvalidationError
  const origin = newOriginId()
  const subscribers = createSubscriberSet(onError)
  let lastSeen: bigint | undefined
  let timer: NodeJS.Timeout | undefined
  let polling: Promise<void> | undefined
  let closed = false
  let nextPruneAtMs = 0
  let resolveReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (resolveReady = resolve))

  const deliverRows = (rows: readonly CacheInvalidationRow[]): void => {
    for (const row of rows) {
      if (row.origin_id === origin) continue // delivered when it was published
      const message: unknown =
        row.kind === 'all' ? { kind: 'all' } : { kind: row.kind, id: row.target_id }
      if (isInvalidationMessage(message)) subscribers.deliver(message)
      else onError(new Error(`ignored a malformed cache_invalidations row ${row.change_id}`))
    }
  }

  const pollOnce = async (): Promise<void> => {
    if (lastSeen === undefined) {
      lastSeen = await findLatestCacheInvalidationId(db)
      resolveReady()
      return
    }
    const rows = await findCacheInvalidationsAfter(db, { afterId: lastSeen, limit: BATCH })
    const first = rows[0]
    if (first === undefined) return
    if (rows.length === BATCH || first.change_id > lastSeen + 1n) {
      // Too far behind, or rows pruned before this process saw them: start clean.
      subscribers.deliver({ kind: 'all' })
      lastSeen = await findLatestCacheInvalidationId(db)
      return
    }
    deliverRows(rows)
    lastSeen = rows[rows.length - 1]!.change_id
  }

  const prune = async (): Promise<void> => {
    const now = clock.nowMs()
    if (now < nextPruneAtMs) return
    nextPruneAtMs = now + PRUNE_EVERY_MS
    await deleteCacheInvalidationsBefore(db, toIsoTimestamp(now - retentionMs))
  }

  const tick = async (): Promise<void> => {
    try {
      await pollOnce()
      await prune()
    } catch (error) {
      onError(error)
    }
  }

  const schedule = (): void => {
    if (closed) return
    timer = setTimeout(() => {
      polling = tick().finally(schedule)
    }, pollIntervalMs)
    // Polling alone must not keep a process (the CLI, a test) alive.
    timer.unref()
  }

  const start = (): void => {
    if (polling !== undefined || closed) return
    polling = tick().finally(schedule)
  }

  return {
    transport: 'sqlite-change-counter',
    publish: async (message: InvalidationMessage) => {
      assertInvalidationMessage(message)
      subscribers.deliver(message)
      try {
        await insertCacheInvalidation(db, {
          kind: message.kind,
          targetId: message.kind === 'all' ? null : message.id,
          originId: origin,
          createdAt: toIsoTimestamp(clock.nowMs()),
        })
      } catch (error) {
        onError(error)
      }
    },
    subscribe: (handler) => {
      const unsubscribe = subscribers.add(handler)
      start()
      return unsubscribe
    },
    ready: () => {
      start()
      return ready
    },
    close: async () => {
      closed = true
      clearTimeout(timer)
      await polling
    },
  }
}
