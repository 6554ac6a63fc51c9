import type { Kysely } from 'kysely'

/**
 * Request logs (src/request-logs/request-logs.table.ts): each organization's opt-in to content
 * capture, and the masked captured content. A separate settings table rather than columns on
 * `organizations`: no row is the default (metadata only), so nothing is backfilled, and the
 * opt-in has its own audit target apart from the organization's profile.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('request_log_settings')
    .addColumn('organization_id', 'text', (c) =>
      c.primaryKey().references('organizations.organization_id'),
    )
    .addColumn('capture_enabled', 'integer', (c) => c.notNull())
    .addColumn('retention_days', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('request_logs')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('request_json', 'text', (c) => c.notNull())
    .addColumn('response_json', 'text')
    .addColumn('masked_count', 'integer', (c) => c.notNull())
    .addColumn('truncated', 'integer', (c) => c.notNull())
    .execute()
  // Exports read one organization's period in order; the retention purge deletes by the same
  // prefix (organization, created_at < cutoff).
  await db.schema
    .createIndex('request_logs_organization_time')
    .on('request_logs')
    .columns(['organization_id', 'created_at', 'request_id'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('request_logs').execute()
  await db.schema.dropTable('request_log_settings').execute()
}
