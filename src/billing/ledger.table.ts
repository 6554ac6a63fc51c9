/**
 * The prepaid ledger (migration 0009-ledger). Money columns are BIGINT micros (ADR 0001, 0002).
 */

/** `ledger_accounts`: one prepaid account per organization and environment (live | test). */
export interface LedgerAccountsTable {
  /** `acct_…` */
  account_id: string
  organization_id: string
  /** 'live' | 'test' */
  environment: string
  /** The deployment currency when the account was opened (ISO 4217). */
  currency: string
  /** Σ of the account's entries. CHECK ≥ 0. */
  balance_micros: bigint
  /** Reserved by open holds (database hold strategy only; 0 with in-process holds). */
  held_micros: bigint
  /** The number of entries; each entry records the version it produced (contiguous). */
  version: bigint
  created_at: string
  updated_at: string
}

/**
 * `ledger_entries`: immutable (triggers refuse UPDATE and DELETE). Each entry is one transfer
 * between the account and a named platform account (`counter_account`): `amount_micros` > 0
 * credits the customer, < 0 debits it, 0 is a waiver that records what was not charged.
 */
export interface LedgerEntriesTable {
  /** `le_…` */
  entry_id: string
  account_id: string
  organization_id: string
  environment: string
  /** One of LEDGER_ENTRY_KINDS. */
  kind: string
  amount_micros: bigint
  balance_after_micros: bigint
  account_version: bigint
  /** `platform:revenue`, `platform:funding`, `platform:promotions`, … */
  counter_account: string
  /** Credits: 'paid' | 'promotional'. */
  category: string | null
  /** Credits: when the unspent part lapses (recorded; see docs/billing.md). */
  expires_at: string | null
  /** Unique per account: a retry with the same key returns this entry. */
  idempotency_key: string
  /** The customer request this entry concerns (usage; refunds cite the original). */
  request_id: string | null
  /** The admin request (`x-request-id`) that caused it; its audit event has the same request id. */
  admin_request_id: string | null
  /** Refund, void: the entry this one corrects. */
  original_entry_id: string | null
  /** The second admin's approval, for amounts over the threshold. */
  approval_id: string | null
  hold_id: string | null
  /** Settlement: the hold released by this entry. */
  hold_micros: bigint | null
  /** Settlement: SETTLEMENT_OUTCOMES. */
  outcome: string | null
  /** Settlement: `ruleId@version`. */
  settlement_rule: string | null
  /** Settlement: cost waived by rule; settlements: cost the balance could not cover. */
  waived_micros: bigint | null
  uncovered_micros: bigint | null
  /** The model that actually served (fallbacks are priced at it). */
  model_served: string | null
  /** Canonical JSON of non-secret details (token counts, price table version, invoice id). */
  details_json: string | null
  created_at: string
}

/** `ledger_holds`: holds placed by the database strategy (in-process holds are never stored). */
export interface LedgerHoldsTable {
  /** `hold_…` */
  hold_id: string
  account_id: string
  request_id: string
  amount_micros: bigint
  /** 'open' | 'settled' | 'released' | 'expired' */
  status: string
  expires_at: string
  created_at: string
  resolved_at: string | null
}

/** `billing_approvals`: a second admin's approval of a large credit, refund or adjustment. */
export interface BillingApprovalsTable {
  /** `apr_…` */
  approval_id: string
  organization_id: string
  /** The account it is for: 'live' | 'test' (migration 0017). */
  environment: string
  /** The audit action it approves (`billing.credit`, `billing.refund`, …). */
  action: string
  amount_micros: bigint
  /** 'pending' | 'granted' | 'used' */
  status: string
  requested_by: string
  granted_by: string | null
  granted_at: string | null
  used_by_entry_id: string | null
  expires_at: string
  created_at: string
}

export interface LedgerTables {
  ledger_accounts: LedgerAccountsTable
  ledger_entries: LedgerEntriesTable
  ledger_holds: LedgerHoldsTable
  billing_approvals: BillingApprovalsTable
}
