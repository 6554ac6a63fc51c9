import { sql, type Kysely } from 'kysely'

/** The webhook outbox (src/outbox/outbox.table.ts): signed, retried, at-least-once delivery. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('outbox_events')
    .addColumn('outbox_id', 'text', (c) => c.primaryKey())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('payload_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('last_attempt_at', 'text')
    .addColumn('delivered_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addCheckConstraint('outbox_events_topic', sql`topic in ('audit', 'usage')`)
    .addCheckConstraint('outbox_events_status', sql`status in ('pending', 'delivered', 'dead')`)
    .execute()
  // One row per event: enqueueing the same event twice keeps the first.
  await db.schema
    .createIndex('outbox_events_topic_event')
    .on('outbox_events')
    .columns(['topic', 'event_id'])
    .unique()
    .execute()
  // The delivery worker's poll: due pending rows, oldest due first.
  await db.schema
    .createIndex('outbox_events_due')
    .on('outbox_events')
    .columns(['status', 'next_attempt_at'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox_events').execute()
}
