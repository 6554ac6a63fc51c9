import { sql, type Kysely } from 'kysely'
import { dialectOf } from '../dialect-of.js'

/**
 * Price tables and budget policies: immutable versions (the database refuses UPDATE and DELETE
 * on them), and the persisted state of each balance threshold so a crossing is reported once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('price_tables')
    .addColumn('price_table_id', 'text', (c) => c.primaryKey())
    /** 'platform' for the base table, else the organization ID of an override. */
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.references('organizations.organization_id'))
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('content_json', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('price_tables_scope_version')
    .on('price_tables')
    .columns(['scope', 'version'])
    .unique()
    .execute()

  await db.schema
    .createTable('budget_policies')
    .addColumn('budget_policy_id', 'text', (c) => c.primaryKey())
    /** The organization ID, or `<organization id>/<key id>` for a key's own policy. */
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) =>
      c.notNull().references('organizations.organization_id'),
    )
    .addColumn('key_id', 'text', (c) => c.references('api_keys.key_id'))
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('content_json', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    /** 'publish' | 'rollback' | 'hard_cap_update' */
    .addColumn('change', 'text', (c) => c.notNull())
    .addColumn('rolled_back_from_version', 'bigint')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('budget_policies_scope_version')
    .on('budget_policies')
    .columns(['scope', 'version'])
    .unique()
    .execute()

  await db.schema
    .createTable('budget_threshold_states')
    .addColumn('organization_id', 'text', (c) =>
      c.notNull().references('organizations.organization_id'),
    )
    /** 'warn' | 'downgrade' | 'block' */
    .addColumn('threshold', 'text', (c) => c.notNull())
    /** 'above' | 'below': where the balance was at the last recorded crossing. */
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('last_crossing_id', 'text', (c) => c.notNull())
    .addColumn('balance_micros', 'bigint', (c) => c.notNull())
    .addColumn('threshold_micros', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('budget_threshold_states_pk', ['organization_id', 'threshold'])
    .execute()

  const tables = ['price_tables', 'budget_policies']
  if (dialectOf(db) === 'sqlite') {
    for (const table of tables) {
      await sql`CREATE TRIGGER ${sql.ref(`${table}_no_update`)} BEFORE UPDATE ON ${sql.table(table)}
        BEGIN SELECT RAISE(ABORT, ${sql.lit(`${table} versions are immutable`)}); END`.execute(db)
      await sql`CREATE TRIGGER ${sql.ref(`${table}_no_delete`)} BEFORE DELETE ON ${sql.table(table)}
        BEGIN SELECT RAISE(ABORT, ${sql.lit(`${table} versions are immutable`)}); END`.execute(db)
    }
  } else {
    // ferry_append_only() comes from 0003-audit.
    for (const table of tables) {
      await sql`CREATE TRIGGER ${sql.ref(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.table(table)}
        FOR EACH ROW EXECUTE FUNCTION ferry_append_only()`.execute(db)
      await sql`ALTER TABLE ${sql.table(table)} ENABLE ALWAYS TRIGGER ${sql.ref(`${table}_append_only`)}`.execute(
        db,
      )
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('budget_threshold_states').execute()
  await db.schema.dropTable('budget_policies').execute()
  await db.schema.dropTable('price_tables').execute()
}
