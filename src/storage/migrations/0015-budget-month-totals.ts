import { sql, type Kysely } from 'kysely'

/**
 * Monthly caps shared by every process (src/budgets/month-totals.table.ts, ADR 0003): per budget
 * scope and UTC month, what was spent and what requests in flight have reserved, and one row
 * per reservation so a process that dies leaves nothing reserved past its expiry.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('budget_month_totals')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('spend_micros', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('tokens', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('reserved_spend_micros', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('reserved_tokens', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('budget_month_totals_pk', ['scope', 'month'])
    .addCheckConstraint(
      'budget_month_totals_reserved_non_negative',
      // A reservation is released once: a negative sum would be a double release.
      sql`reserved_spend_micros >= 0 AND reserved_tokens >= 0`,
    )
    .execute()
  await db.schema
    .createTable('budget_reservations')
    .addColumn('reservation_id', 'text', (c) => c.primaryKey())
    .addColumn('month', 'text', (c) => c.notNull())
    /** JSON array of the scopes reserved on (`org:…`, `key:…`), sorted. */
    .addColumn('scopes_json', 'text', (c) => c.notNull())
    .addColumn('spend_micros', 'bigint', (c) => c.notNull())
    .addColumn('tokens', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('budget_reservations_expires_at')
    .on('budget_reservations')
    .column('expires_at')
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('budget_reservations').execute()
  await db.schema.dropTable('budget_month_totals').execute()
}
