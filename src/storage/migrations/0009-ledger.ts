import { sql, type Kysely } from 'kysely'
import { dialectOf } from '../dialect-of.js'

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ledger_accounts')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) =>
      c.notNull().references('organizations.organization_id'),
    )
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('balance_micros', 'bigint', (c) => c.notNull())
    .addColumn('held_micros', 'bigint', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'ledger_accounts_never_negative',
      sql`balance_micros >= 0 AND held_micros >= 0 AND held_micros <= balance_micros`,
    )
    .execute()
  await db.schema
    .createIndex('ledger_accounts_organization')
    .on('ledger_accounts')
    .columns(['organization_id', 'environment'])
    .unique()
    .execute()

  await db.schema
    .createTable('ledger_entries')
    .addColumn('entry_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('ledger_accounts.account_id'))
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('amount_micros', 'bigint', (c) => c.notNull())
    .addColumn('balance_after_micros', 'bigint', (c) => c.notNull())
    .addColumn('account_version', 'bigint', (c) => c.notNull())
    .addColumn('counter_account', 'text', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('admin_request_id', 'text')
    .addColumn('original_entry_id', 'text', (c) => c.references('ledger_entries.entry_id'))
    .addColumn('approval_id', 'text')
    .addColumn('hold_id', 'text')
    .addColumn('hold_micros', 'bigint')
    .addColumn('outcome', 'text')
    .addColumn('settlement_rule', 'text')
    .addColumn('waived_micros', 'bigint')
    .addColumn('uncovered_micros', 'bigint')
    .addColumn('model_served', 'text')
    .addColumn('details_json', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint('ledger_entries_balance_after', sql`balance_after_micros >= 0`)
    .execute()
  await db.schema
    .createIndex('ledger_entries_account_version')
    .on('ledger_entries')
    .columns(['account_id', 'account_version'])
    .unique()
    .execute()
  await db.schema
    .createIndex('ledger_entries_idempotency')
    .on('ledger_entries')
    .columns(['account_id', 'idempotency_key'])
    .unique()
    .execute()
  await db.schema
    .createIndex('ledger_entries_organization_time')
    .on('ledger_entries')
    .columns(['organization_id', 'created_at', 'entry_id'])
    .execute()
  await db.schema
    .createIndex('ledger_entries_request')
    .on('ledger_entries')
    .column('request_id')
    .execute()
  await db.schema
    .createIndex('ledger_entries_original')
    .on('ledger_entries')
    .column('original_entry_id')
    .execute()

  await db.schema
    .createTable('ledger_holds')
    .addColumn('hold_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('ledger_accounts.account_id'))
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('amount_micros', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .execute()
  await db.schema
    .createIndex('ledger_holds_open')
    .on('ledger_holds')
    .columns(['status', 'expires_at'])
    .execute()

  await db.schema
    .createTable('billing_approvals')
    .addColumn('approval_id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) =>
      c.notNull().references('organizations.organization_id'),
    )
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('amount_micros', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'text')
    .addColumn('granted_at', 'text')
    .addColumn('used_by_entry_id', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  // Entries are immutable: corrections are new entries (refund, void, adjustment).
  if (dialectOf(db) === 'sqlite') {
    await sql`CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END`.execute(db)
    await sql`CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END`.execute(db)
  } else {
    // ferry_append_only() comes from 0003-audit.
    await sql`CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
      FOR EACH ROW EXECUTE FUNCTION ferry_append_only()`.execute(db)
    await sql`CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
      FOR EACH STATEMENT EXECUTE FUNCTION ferry_append_only()`.execute(db)
    for (const trigger of ['ledger_entries_append_only', 'ledger_entries_no_truncate'])
      await sql`ALTER TABLE ledger_entries ENABLE ALWAYS TRIGGER ${sql.ref(trigger)}`.execute(db)
  }
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the ledger is not removed by a migration'))
}
