import { sql, type Kysely } from 'kysely'
import { dialectOf } from '../dialect-of.js'

/** Usage events: one append-only row per authenticated /v1 request (src/usage/usage.table.ts). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('usage_events')
    .addColumn('usage_id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('key_label', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('model_requested', 'text')
    .addColumn('model_served', 'text')
    .addColumn('provider', 'text')
    .addColumn('provider_account_id', 'text')
    .addColumn('route_policy_scope', 'text')
    .addColumn('route_policy_version', 'text')
    .addColumn('route', 'text')
    .addColumn('fallback_reason', 'text')
    .addColumn('downgrade_reason', 'text')
    .addColumn('budget_policy_id', 'text')
    .addColumn('budget_policy_version', 'integer')
    .addColumn('budget_decision', 'text')
    .addColumn('budget_reason', 'text')
    .addColumn('price_table_version', 'text')
    .addColumn('prompt_tokens', 'integer', (c) => c.notNull())
    .addColumn('cached_tokens', 'integer', (c) => c.notNull())
    .addColumn('completion_tokens', 'integer', (c) => c.notNull())
    .addColumn('reasoning_tokens', 'integer', (c) => c.notNull())
    .addColumn('prompt_tokens_source', 'text', (c) => c.notNull())
    .addColumn('completion_tokens_source', 'text', (c) => c.notNull())
    .addColumn('cost_micros', 'bigint', (c) => c.notNull())
    .addColumn('held_micros', 'bigint', (c) => c.notNull())
    .addColumn('waived_micros', 'bigint', (c) => c.notNull())
    .addColumn('ledger_entry_id', 'text')
    .addColumn('settlement_outcome', 'text')
    .addColumn('settlement_rule', 'text')
    .addColumn('http_status', 'integer', (c) => c.notNull())
    .addColumn('upstream_status', 'integer')
    .addColumn('error_code', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('attempts_json', 'text')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('upstream_ttfb_ms', 'integer')
    .addColumn('stream', 'integer', (c) => c.notNull())
    .addColumn('stream_outcome', 'text')
    .addColumn('chunks_delivered', 'integer')
    .addCheckConstraint('usage_events_cost_non_negative', sql`cost_micros >= 0`)
    .execute()
  // Exports, pages and aggregates read one organization's period in (created_at, usage_id)
  // order: the cursor is that pair.
  await db.schema
    .createIndex('usage_events_organization_time')
    .on('usage_events')
    .columns(['organization_id', 'created_at', 'usage_id'])
    .execute()
  await db.schema
    .createIndex('usage_events_time')
    .on('usage_events')
    .columns(['created_at', 'usage_id'])
    .execute()
  // A client may send its own x-request-id, so request IDs are not unique: looked up, not keyed.
  await db.schema
    .createIndex('usage_events_request')
    .on('usage_events')
    .column('request_id')
    .execute()
  await db.schema
    .createIndex('usage_events_key_time')
    .on('usage_events')
    .columns(['key_id', 'created_at'])
    .execute()

  if (dialectOf(db) === 'sqlite') {
    await sql`CREATE TRIGGER usage_events_no_update BEFORE UPDATE ON usage_events
      BEGIN SELECT RAISE(ABORT, 'usage_events is append-only'); END`.execute(db)
    await sql`CREATE TRIGGER usage_events_no_delete BEFORE DELETE ON usage_events
      BEGIN SELECT RAISE(ABORT, 'usage_events is append-only'); END`.execute(db)
  } else {
    // ferry_append_only() comes from 0003-audit.
    await sql`CREATE TRIGGER usage_events_append_only BEFORE UPDATE OR DELETE ON usage_events
      FOR EACH ROW EXECUTE FUNCTION ferry_append_only()`.execute(db)
    await sql`CREATE TRIGGER usage_events_no_truncate BEFORE TRUNCATE ON usage_events
      FOR EACH STATEMENT EXECUTE FUNCTION ferry_append_only()`.execute(db)
    for (const trigger of ['usage_events_append_only', 'usage_events_no_truncate'])
      await sql`ALTER TABLE usage_events ENABLE ALWAYS TRIGGER ${sql.ref(trigger)}`.execute(db)
  }
}

export function down(): Promise<void> {
  return Promise.reject(new Error('usage events are not removed by a migration'))
}
