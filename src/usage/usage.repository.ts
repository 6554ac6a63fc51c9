import { sql } from 'kysely'
import type { Db } from '../storage/index.js'
import { rowToUsageEvent, type UsageEvent } from './usage-event.js'
import type { UsageEventsTable } from './usage.table.js'

/** Insert usage rows (inside the settlement's transaction). */
export async function insertUsageEvents(db: Db, rows: readonly UsageEventsTable[]): Promise<void> {
  if (rows.length === 0) return
  // SQLite allows 32,766 bound variables per statement; 44 columns a row keeps a chunk of 200
  // well under it (PostgreSQL's limit, 65,535, is higher).
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('usage_events')
      .values(rows.slice(i, i + 200))
      .execute()
}

/**
 * Usage rows with `refunded_micros`: the refunds that cite each request, read from the ledger
 * (a correlated lookup on ledger_entries_request, so a page costs one index probe a row).
 */
export function selectUsageEvents(db: Db) {
  return db
    .selectFrom('usage_events as u')
    .selectAll('u')
    .select(
      sql<bigint>`cast(coalesce((select sum(le.amount_micros) from ledger_entries le
        where le.request_id = u.request_id and le.kind = 'refund'), 0) as bigint)`.as(
        'refunded_micros',
      ),
    )
}

/** Every usage event recorded under a request ID (one, unless a client reused its own ID). */
export async function findUsageEventsOfRequest(db: Db, requestId: string): Promise<UsageEvent[]> {
  const rows = await selectUsageEvents(db)
    .where('u.request_id', '=', requestId)
    .orderBy('u.created_at')
    .orderBy('u.usage_id')
    .execute()
  return rows.map(rowToUsageEvent)
}
