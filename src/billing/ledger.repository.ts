import { sql, type Insertable, type Selectable } from 'kysely'
import { dialectOf, insertRows, type Db } from '../storage/index.js'
import type {
  BillingApprovalsTable,
  LedgerAccountsTable,
  LedgerEntriesTable,
  LedgerHoldsTable,
} from './ledger.table.js'
import {
  GRANT_CLOSING_KINDS,
  GRANT_KINDS,
  type BillingEnvironment,
  type CreditCategory,
  type LedgerAccount,
  type LedgerEntry,
  type LedgerEntryKind,
} from './ledger-entry.js'
import type { SettlementOutcome } from './settlement-rules.js'
import type { Micros } from './money.js'

export type LedgerAccountRow = Selectable<LedgerAccountsTable>
export type LedgerEntryRow = Selectable<LedgerEntriesTable>
export type LedgerHoldRow = Selectable<LedgerHoldsTable>
export type BillingApprovalRow = Selectable<BillingApprovalsTable>

export function rowToAccount(row: LedgerAccountRow, heldMicros = row.held_micros): LedgerAccount {
  return {
    accountId: row.account_id,
    organizationId: row.organization_id,
    environment: row.environment as BillingEnvironment,
    currency: row.currency,
    balanceMicros: row.balance_micros,
    heldMicros,
    availableMicros: row.balance_micros - heldMicros,
    version: row.version,
  }
}

export function rowToEntry(row: LedgerEntryRow): LedgerEntry {
  return {
    entryId: row.entry_id,
    accountId: row.account_id,
    organizationId: row.organization_id,
    environment: row.environment as BillingEnvironment,
    kind: row.kind as LedgerEntryKind,
    amountMicros: row.amount_micros,
    balanceAfterMicros: row.balance_after_micros,
    accountVersion: row.account_version,
    counterAccount: row.counter_account,
    category: row.category as CreditCategory | null,
    expiresAt: row.expires_at,
    idempotencyKey: row.idempotency_key,
    requestId: row.request_id,
    adminRequestId: row.admin_request_id,
    originalEntryId: row.original_entry_id,
    approvalId: row.approval_id,
    holdId: row.hold_id,
    holdMicros: row.hold_micros,
    outcome: row.outcome as SettlementOutcome | null,
    settlementRule: row.settlement_rule,
    waivedMicros: row.waived_micros,
    uncoveredMicros: row.uncovered_micros,
    modelServed: row.model_served,
    details: row.details_json ? (JSON.parse(row.details_json) as Record<string, unknown>) : null,
    createdAt: row.created_at,
  }
}

export function findAccountRow(
  db: Db,
  key: { organizationId: string; environment: BillingEnvironment },
): Promise<LedgerAccountRow | undefined> {
  return db
    .selectFrom('ledger_accounts')
    .selectAll()
    .where('organization_id', '=', key.organizationId)
    .where('environment', '=', key.environment)
    .executeTakeFirst()
}

/** An account's committed balance (holds not subtracted), or null when it has none yet. */
export async function findCommittedBalance(
  db: Db,
  key: { organizationId: string; environment: BillingEnvironment },
): Promise<Micros | null> {
  return (await findAccountRow(db, key))?.balance_micros ?? null
}

export function findAccountRows(db: Db): Promise<LedgerAccountRow[]> {
  return db.selectFrom('ledger_accounts').selectAll().orderBy('account_id').execute()
}

export function findAccountRowsOf(db: Db, organizationId: string): Promise<LedgerAccountRow[]> {
  return db
    .selectFrom('ledger_accounts')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('environment')
    .execute()
}

/** Open the account if it does not exist (inside the caller's transaction). */
export async function insertAccountIfAbsent(db: Db, row: LedgerAccountRow): Promise<void> {
  await db
    .insertInto('ledger_accounts')
    .values(row)
    .onConflict((oc) => oc.columns(['organization_id', 'environment']).doNothing())
    .execute()
}

/**
 * Read account rows for an update inside a transaction, in account-id order (pgledger: a fixed
 * lock order means two transactions never wait on each other in a cycle). PostgreSQL locks the
 * rows (FOR UPDATE); SQLite's transaction already holds the write lock.
 */
export async function lockAccountRows(db: Db, accountIds: readonly string[]) {
  if (accountIds.length === 0) return []
  const sorted = [...new Set(accountIds)].sort()
  let query = db
    .selectFrom('ledger_accounts')
    .selectAll()
    .where('account_id', 'in', sorted)
    .orderBy('account_id')
  if (dialectOf(db) === 'postgres') query = query.forUpdate()
  return query.execute()
}

export async function updateAccountRow(
  db: Db,
  change: {
    accountId: string
    balanceMicros: bigint
    heldMicros: bigint
    version: bigint
    now: string
  },
): Promise<void> {
  await db
    .updateTable('ledger_accounts')
    .set({
      balance_micros: change.balanceMicros,
      held_micros: change.heldMicros,
      version: change.version,
      updated_at: change.now,
    })
    .where('account_id', '=', change.accountId)
    .execute()
}

export async function insertEntries(db: Db, rows: readonly Insertable<LedgerEntriesTable>[]) {
  // Stay well under SQLite's bound-parameter limit (32766) and PostgreSQL's (65535).
  await insertRows(db, { into: 'ledger_entries', rows, maxRowsPerStatement: 500 })
}

export function findEntryRow(db: Db, entryId: string): Promise<LedgerEntryRow | undefined> {
  return db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('entry_id', '=', entryId)
    .executeTakeFirst()
}

export function findEntryByIdempotencyKey(
  db: Db,
  key: { accountId: string; idempotencyKey: string },
): Promise<LedgerEntryRow | undefined> {
  return db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('account_id', '=', key.accountId)
    .where('idempotency_key', '=', key.idempotencyKey)
    .executeTakeFirst()
}

/**
 * An organization's applications of one invoice (`detailsJson`: the application's stored
 * details), by the partial index `ledger_entries_invoice`: never a read of the whole ledger.
 * The kind is a literal, not a parameter, so the planner matches it to the index's own WHERE.
 */
export function findInvoiceApplications(
  db: Db,
  query: { organizationId: string; detailsJson: string },
): Promise<LedgerEntryRow[]> {
  return db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('organization_id', '=', query.organizationId)
    .where('kind', '=', sql.lit('invoice_application'))
    .where('details_json', '=', query.detailsJson)
    .execute()
}

/** Entries that correct `entryId` (refunds and voids), oldest first. */
export function findCorrectionsOf(db: Db, entryId: string): Promise<LedgerEntryRow[]> {
  return db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('original_entry_id', '=', entryId)
    .orderBy('entry_id')
    .execute()
}

/**
 * An account's expiring grants (credits and invoice applications with an expiry), each with the
 * version of the entry that closed it (its expiry or void; null while open), in account order.
 * Read by the partial index `ledger_entries_account_grants` and `ledger_entries_original`.
 */
export async function findAccountGrants(
  db: Db,
  accountId: string,
): Promise<{ entryId: string; version: bigint; closedAt: bigint | null }[]> {
  const grants = await db
    .selectFrom('ledger_entries')
    .select(['entry_id', 'account_version'])
    .where('account_id', '=', accountId)
    .where('expires_at', 'is not', null)
    .where('kind', 'in', GRANT_KINDS)
    .where('amount_micros', '>', 0n)
    .orderBy('account_version')
    .execute()
  const closedAt = new Map<string, bigint>()
  for (let i = 0; i < grants.length; i += 500) {
    const ids = grants.slice(i, i + 500).map((g) => g.entry_id)
    const closings = await db
      .selectFrom('ledger_entries')
      .select(['original_entry_id', 'account_version'])
      .where('original_entry_id', 'in', ids)
      .where('kind', 'in', GRANT_CLOSING_KINDS)
      .execute()
    for (const c of closings) closedAt.set(c.original_entry_id!, c.account_version)
  }
  return grants.map((g) => ({
    entryId: g.entry_id,
    version: g.account_version,
    closedAt: closedAt.get(g.entry_id) ?? null,
  }))
}

/** Up to `limit` of an account's entries from version `fromVersion` on, in account order. */
export function findAccountEntriesFrom(
  db: Db,
  page: { accountId: string; fromVersion: bigint; limit: number },
): Promise<LedgerEntryRow[]> {
  return db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('account_id', '=', page.accountId)
    .where('account_version', '>=', page.fromVersion)
    .orderBy('account_version')
    .limit(page.limit)
    .execute()
}

/** Every entry that concerns a customer request: its settlement and any refunds. */
export function findEntriesOfRequest(db: Db, requestId: string): Promise<LedgerEntryRow[]> {
  return db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('request_id', '=', requestId)
    .orderBy('entry_id')
    .execute()
}

/** A page of an organization's entries, newest first (keyset on the time-ordered entry id). */
export function findEntryRowsPage(
  db: Db,
  page: {
    organizationId: string
    environment?: BillingEnvironment
    kind?: LedgerEntryKind
    requestId?: string
    beforeId?: string
    limit: number
  },
): Promise<LedgerEntryRow[]> {
  let query = db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('organization_id', '=', page.organizationId)
  if (page.environment) query = query.where('environment', '=', page.environment)
  if (page.kind) query = query.where('kind', '=', page.kind)
  if (page.requestId) query = query.where('request_id', '=', page.requestId)
  if (page.beforeId) query = query.where('entry_id', '<', page.beforeId)
  return query.orderBy('entry_id', 'desc').limit(page.limit).execute()
}

/** An account's entries created in [from, to), in account order. */
export function findEntryRowsInPeriod(
  db: Db,
  period: { accountId: string; from: string; to: string },
): Promise<LedgerEntryRow[]> {
  return db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('account_id', '=', period.accountId)
    .where('created_at', '>=', period.from)
    .where('created_at', '<', period.to)
    .orderBy('account_version')
    .execute()
}

/** The balance after the account's last entry before `at` (0 when there is none). */
export async function findBalanceBefore(
  db: Db,
  at: { accountId: string; before: string },
): Promise<bigint> {
  const row = await db
    .selectFrom('ledger_entries')
    .select('balance_after_micros')
    .where('account_id', '=', at.accountId)
    .where('created_at', '<', at.before)
    .orderBy('account_version', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.balance_after_micros ?? 0n
}

/** Σ of an account's entries, computed from the entries themselves (reconciliation). */
export async function sumEntries(db: Db, accountId: string): Promise<bigint> {
  const row = await db
    .selectFrom('ledger_entries')
    .select(sql<bigint>`cast(coalesce(sum(amount_micros), 0) as bigint)`.as('total'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow()
  return BigInt(row.total)
}

// Holds (database strategy).

export async function insertHoldRow(db: Db, row: LedgerHoldRow): Promise<void> {
  await db.insertInto('ledger_holds').values(row).execute()
}

/**
 * Reserve `amount` on the account only if it fits: one atomic statement, never a read then a
 * write in application code. Returns false when the available balance does not cover it.
 */
export async function reserveOnAccount(
  db: Db,
  hold: { accountId: string; amountMicros: bigint },
): Promise<boolean> {
  const result = await db
    .updateTable('ledger_accounts')
    .set((eb) => ({ held_micros: eb('held_micros', '+', hold.amountMicros) }))
    .where('account_id', '=', hold.accountId)
    .where((eb) => eb(eb('balance_micros', '-', eb.ref('held_micros')), '>=', hold.amountMicros))
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

export async function unreserveOnAccount(
  db: Db,
  hold: { accountId: string; amountMicros: bigint },
): Promise<void> {
  await db
    .updateTable('ledger_accounts')
    .set((eb) => ({ held_micros: eb('held_micros', '-', hold.amountMicros) }))
    .where('account_id', '=', hold.accountId)
    .execute()
}

/** Resolve open holds (at most once: only rows still 'open' change); returns those resolved. */
export function resolveOpenHolds(
  db: Db,
  change: { holdIds: readonly string[]; status: 'settled' | 'released' | 'expired'; now: string },
): Promise<Pick<LedgerHoldRow, 'hold_id' | 'account_id' | 'amount_micros'>[]> {
  if (change.holdIds.length === 0) return Promise.resolve([])
  return db
    .updateTable('ledger_holds')
    .set({ status: change.status, resolved_at: change.now })
    .where('hold_id', 'in', [...change.holdIds])
    .where('status', '=', 'open')
    .returning(['hold_id', 'account_id', 'amount_micros'])
    .execute()
}

/** Grow an open hold; false when it is no longer open. */
export async function growOpenHold(
  db: Db,
  change: { holdId: string; amountMicros: bigint; expiresAt: string },
): Promise<boolean> {
  const result = await db
    .updateTable('ledger_holds')
    .set((eb) => ({
      amount_micros: eb('amount_micros', '+', change.amountMicros),
      expires_at: change.expiresAt,
    }))
    .where('hold_id', '=', change.holdId)
    .where('status', '=', 'open')
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

export function findExpiredHoldIds(db: Db, options: { now: string; limit: number }) {
  return db
    .selectFrom('ledger_holds')
    .select('hold_id')
    .where('status', '=', 'open')
    .where('expires_at', '<=', options.now)
    .orderBy('expires_at')
    .limit(options.limit)
    .execute()
}

export function findHoldRow(db: Db, holdId: string): Promise<LedgerHoldRow | undefined> {
  return db.selectFrom('ledger_holds').selectAll().where('hold_id', '=', holdId).executeTakeFirst()
}

// Approvals.

export async function insertApprovalRow(db: Db, row: BillingApprovalRow): Promise<void> {
  await db.insertInto('billing_approvals').values(row).execute()
}

export function findApprovalRow(db: Db, approvalId: string) {
  return db
    .selectFrom('billing_approvals')
    .selectAll()
    .where('approval_id', '=', approvalId)
    .executeTakeFirst()
}

/**
 * Approvals by status, newest first. `pending` ones past their expiry are left out: they can
 * no longer be granted.
 */
export function findApprovalRows(
  db: Db,
  query: { status: string; organizationId?: string; now: string; limit: number },
) {
  let select = db
    .selectFrom('billing_approvals')
    .selectAll()
    .where('status', '=', query.status)
    .orderBy('created_at', 'desc')
    .orderBy('approval_id', 'desc')
    .limit(query.limit)
  if (query.organizationId !== undefined)
    select = select.where('organization_id', '=', query.organizationId)
  if (query.status === 'pending') select = select.where('expires_at', '>', query.now)
  return select.execute()
}

export async function updateApprovalRow(
  db: Db,
  change: { approvalId: string; set: Partial<Omit<BillingApprovalRow, 'approval_id'>> },
): Promise<void> {
  await db
    .updateTable('billing_approvals')
    .set(change.set)
    .where('approval_id', '=', change.approvalId)
    .execute()
}

/**
 * Mark a granted approval used by `entryId`, only if it is still granted: false when another
 * posting used it first. The guard is in the UPDATE itself, so two transactions that both read
 * it as granted (PostgreSQL, READ COMMITTED, postings on different accounts) cannot both use it.
 */
export async function useGrantedApproval(
  db: Db,
  use: { approvalId: string; entryId: string },
): Promise<boolean> {
  const result = await db
    .updateTable('billing_approvals')
    .set({ status: 'used', used_by_entry_id: use.entryId })
    .where('approval_id', '=', use.approvalId)
    .where('status', '=', 'granted')
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

/** The audit event that targets `targetId` with `action` (the link from a row to its event). */
export async function findAuditEventIdFor(
  db: Db,
  target: { targetType: string; targetId: string; action: string },
): Promise<string | null> {
  const row = await db
    .selectFrom('audit_events')
    .select('audit_event_id')
    .where('target_type', '=', target.targetType)
    .where('target_id', '=', target.targetId)
    .where('action', '=', target.action)
    .orderBy('created_at')
    .executeTakeFirst()
  return row?.audit_event_id ?? null
}
