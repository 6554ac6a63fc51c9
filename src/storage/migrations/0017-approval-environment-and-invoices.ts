import { sql, type Kysely } from 'kysely'

/**
 * Two holes in the second-admin and invoice controls of the admin billing operations:
 *
 * - `billing_approvals.environment`: an approval names the prepaid account it is for (live or
 *   test), not only the organization, so a large credit granted for test traffic cannot be
 *   spent on the live balance. Approvals made before this migration were for live postings
 *   (the console and the docs only ever showed live), hence the default.
 * - `ledger_entries_invoice`: an organization's invoice applications by invoice id, so applying
 *   a paid invoice that was applied already (under another idempotency key) is refused without
 *   reading the account's whole ledger. Partial: only `invoice_application` entries, a handful
 *   per organization and month, pay for it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('billing_approvals')
    .addColumn('environment', 'text', (c) => c.notNull().defaultTo('live'))
    .execute()
  await db.schema
    .createIndex('ledger_entries_invoice')
    .on('ledger_entries')
    .columns(['organization_id', 'details_json'])
    .where(sql.ref('kind'), '=', 'invoice_application')
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('ledger_entries_invoice').execute()
  await db.schema.alterTable('billing_approvals').dropColumn('environment').execute()
}
