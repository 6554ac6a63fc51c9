import { sql } from 'kysely'
import type { Db } from '../storage/index.js'

/** A change-log row as the poller reads it. */
export interface CacheInvalidationRow {
  change_id: bigint
  kind: string
  target_id: string | null
  origin_id: string
}

/** Append one change; its autoincremented ID orders it after every change before it. */
export async function insertCacheInvalidation(
  db: Db,
  row: { kind: string; targetId: string | null; originId: string; createdAt: string },
): Promise<void> {
  await db
    .insertInto('cache_invalidations')
    .values({
      kind: row.kind,
      target_id: row.targetId,
      origin_id: row.originId,
      created_at: row.createdAt,
    })
    .execute()
}

/** The newest change ID, or 0 for an empty log: where a new poller starts. */
export async function findLatestCacheInvalidationId(db: Db): Promise<bigint> {
  const row = await db
    .selectFrom('cache_invalidations')
    .select((eb) => eb.fn.max('change_id').as('latest'))
    .executeTakeFirst()
  return row?.latest === null || row?.latest === undefined ? 0n : BigInt(row.latest)
}

/** Changes after `afterId`, oldest first: a primary-key range read, cheap when empty. */
export function findCacheInvalidationsAfter(
  db: Db,
  options: { afterId: bigint; limit: number },
): Promise<CacheInvalidationRow[]> {
  return db
    .selectFrom('cache_invalidations')
    .select(['change_id', 'kind', 'target_id', 'origin_id'])
    .where('change_id', '>', options.afterId)
    .orderBy('change_id')
    .limit(options.limit)
    .execute()
}

/** Delete changes created before `createdBefore`; returns how many went. */
export async function deleteCacheInvalidationsBefore(
  db: Db,
  createdBefore: string,
): Promise<bigint> {
  const result = await db
    .deleteFrom('cache_invalidations')
    .where('created_at', '<', createdBefore)
    .executeTakeFirst()
  return result.numDeletedRows
}

/** PostgreSQL NOTIFY through the pool; inside a transaction it is delivered on commit. */
export async function notifyChannel(
  db: Db,
  message: { channel: string; payload: string },
): Promise<void> {
  await sql`select pg_notify(${message.channel}, ${message.payload})`.execute(db)
}
