import { sql, type Kysely } from 'kysely'
import { dialectOf } from '../dialect-of.js'

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_chains')
    .addColumn('chain_id', 'text', (c) => c.primaryKey())
    .addColumn('last_sequence', 'bigint', (c) => c.notNull())
    .addColumn('last_hash', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('audit_events')
    .addColumn('audit_event_id', 'text', (c) => c.primaryKey())
    .addColumn('chain_id', 'text', (c) => c.notNull())
    .addColumn('sequence', 'bigint', (c) => c.notNull())
    .addColumn('schema_version', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text')
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text')
    .addColumn('actor_ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('impersonator_id', 'text')
    .addColumn('support_session_id', 'text')
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('target_label', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('before_json', 'text')
    .addColumn('after_json', 'text')
    .addColumn('reason_code', 'text')
    .addColumn('reason_note', 'text')
    .addColumn('request_id', 'text')
    .addColumn('policy_version', 'text')
    .addColumn('evidence_json', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('previous_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addUniqueConstraint('audit_events_chain_sequence', ['chain_id', 'sequence'])
    .execute()
  for (const [name, columns] of [
    ['audit_events_org_created', ['organization_id', 'created_at']],
    ['audit_events_created', ['created_at']],
    ['audit_events_action', ['action', 'created_at']],
    ['audit_events_actor', ['actor_id', 'created_at']],
    ['audit_events_target', ['target_type', 'target_id']],
    ['audit_events_request', ['request_id']],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on('audit_events')
      .columns([...columns])
      .execute()
  }

  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('checkpoint_id', 'text', (c) => c.primaryKey())
    .addColumn('chain_id', 'text', (c) => c.notNull())
    .addColumn('sequence', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('audit_checkpoints_chain')
    .on('audit_checkpoints')
    .columns(['chain_id', 'sequence'])
    .execute()

  await db.schema
    .createTable('audit_purges')
    .addColumn('purge_id', 'text', (c) => c.primaryKey())
    .addColumn('chain_id', 'text', (c) => c.notNull())
    .addColumn('through_sequence', 'bigint', (c) => c.notNull())
    .addColumn('through_hash', 'text', (c) => c.notNull())
    .addColumn('checkpoint_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  if (dialectOf(db) === 'postgres') await createPostgresTriggers(db)
  else await createSqliteTriggers(db)
}

/**
 * Audit rows are append-only in the database itself, not only in the application: UPDATE is
 * always refused; DELETE only for rows covered by a running retention purge.
 */
async function createSqliteTriggers(db: Kysely<unknown>) {
  await sql`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`.execute(db)
  await sql`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    WHEN NOT EXISTS (SELECT 1 FROM audit_purges p WHERE p.chain_id = OLD.chain_id
      AND p.status = 'running' AND OLD.sequence <= p.through_sequence)
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only; only a retention purge deletes'); END`.execute(
    db,
  )
  await sql`CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END`.execute(db)
  await sql`CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END`.execute(db)
}

async function createPostgresTriggers(db: Kysely<unknown>) {
  await sql`CREATE FUNCTION ferry_audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_purges p WHERE p.chain_id = OLD.chain_id
          AND p.status = 'running' AND OLD.sequence <= p.through_sequence) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db)
  await sql`CREATE FUNCTION ferry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db)
  await sql`CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION ferry_audit_events_append_only()`.execute(db)
  await sql`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION ferry_append_only()`.execute(db)
  await sql`CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ferry_append_only()`.execute(db)
  await sql`CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ferry_append_only()`.execute(db)
  // ENABLE ALWAYS: the triggers fire even under session_replication_role = replica.
  for (const trigger of ['audit_events_append_only', 'audit_events_no_truncate']) {
    await sql`ALTER TABLE audit_events ENABLE ALWAYS TRIGGER ${sql.ref(trigger)}`.execute(db)
  }
  for (const trigger of ['audit_checkpoints_append_only', 'audit_checkpoints_no_truncate']) {
    await sql`ALTER TABLE audit_checkpoints ENABLE ALWAYS TRIGGER ${sql.ref(trigger)}`.execute(db)
  }
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the audit log is not removed by a migration'))
}
