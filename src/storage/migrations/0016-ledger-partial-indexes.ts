import { sql, type Kysely } from 'kysely'

/**
 * Two ledger indexes that only ever need the rows where their column is set:
 *
 * - `ledger_entries_expiring` (new): the credit expiry job asks for credits whose `expires_at`
 *   has passed. Without an index that was a scan of the whole ledger on every run, on the event
 *   loop (60 ms at ~100,000 entries, and growing with them); only expiring credits have the
 *   column, so the index is as small as they are few.
 * - `ledger_entries_original` (now partial): refunds, voids and expiries name the entry they
 *   correct; the usage charges (nearly every entry) name none, and each still cost an index
 *   entry when it was written. Every lookup is `original_entry_id = …`, which both SQLite and
 *   PostgreSQL know implies `IS NOT NULL`, so the partial index serves them all.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('ledger_entries_expiring')
    .on('ledger_entries')
    .column('expires_at')
    .where(sql.ref('expires_at'), 'is not', null)
    .execute()
  await db.schema.dropIndex('ledger_entries_original').execute()
  await db.schema
    .createIndex('ledger_entries_original')
    .on('ledger_entries')
    .column('original_entry_id')
    .where(sql.ref('original_entry_id'), 'is not', null)
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('ledger_entries_original').execute()
  await db.schema
    .createIndex('ledger_entries_original')
    .on('ledger_entries')
    .column('original_entry_id')
    .execute()
  await db.schema.dropIndex('ledger_entries_expiring').execute()
}
