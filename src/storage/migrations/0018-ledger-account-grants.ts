import { sql, type Kysely } from 'kysely'

/**
 * `ledger_entries_account_grants`: an account's expiring credits in account order. The credit
 * expiry job asks for them to find where its replay of the account's ledger may start (the
 * earliest credit still open then, src/billing/credit-drawdown.ts replayStart) instead of
 * replaying the account from its first entry. Partial: only entries with an expiry are in it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('ledger_entries_account_grants')
    .on('ledger_entries')
    .columns(['account_id', 'account_version'])
    .where(sql.ref('expires_at'), 'is not', null)
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('ledger_entries_account_grants').execute()
}
