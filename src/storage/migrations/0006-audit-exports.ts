import type { Kysely } from 'kysely'

/**
 * `audit_exports`: one row per audit export made through the admin API, written in the same
 * transaction as its `audit_log.export` event and completed with the signed manifest once the
 * last byte is out. A CSV export has no line to carry its manifest; clients fetch it here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_exports')
    .addColumn('export_id', 'text', (c) => c.primaryKey())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('filters_json', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('manifest_json', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_exports').execute()
}
