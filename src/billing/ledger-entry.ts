import type { Micros } from './money.js'
import type { SettlementOutcome } from './settlement-rules.js'

/** Prepaid accounts are per organization and per environment: test traffic never spends live money. */
export const BILLING_ENVIRONMENTS = ['live', 'test'] as const
export type BillingEnvironment = (typeof BILLING_ENVIRONMENTS)[number]

/**
 * What an entry is. Credits and adjustments come from admins (audited), usage charges and
 * waivers from settlement, refunds and voids correct an earlier entry by reference.
 */
export const LEDGER_ENTRY_KINDS = [
  'credit',
  'invoice_application',
  'usage_charge',
  'usage_waiver',
  'refund',
  'void',
  'adjustment',
  'credit_expiry',
] as const
export type LedgerEntryKind = (typeof LEDGER_ENTRY_KINDS)[number]

/** The kinds that grant credit which may expire (with an `expiresAt`): the draw-down's grants. */
export const GRANT_KINDS = ['credit', 'invoice_application'] as const satisfies LedgerEntryKind[]
/** The kinds that close a grant: its expiry, or its void. */
export const GRANT_CLOSING_KINDS = ['credit_expiry', 'void'] as const satisfies LedgerEntryKind[]

export const CREDIT_CATEGORIES = ['paid', 'promotional'] as const
export type CreditCategory = (typeof CREDIT_CATEGORIES)[number]

/** The platform side of each transfer (the other leg of the double entry). */
export const COUNTER_ACCOUNTS = {
  funding: 'platform:funding',
  promotions: 'platform:promotions',
  invoices: 'platform:invoices',
  revenue: 'platform:revenue',
  waivers: 'platform:waivers',
  refunds: 'platform:refunds',
  adjustments: 'platform:adjustments',
} as const

/** One prepaid account's state. */
export interface LedgerAccount {
  accountId: string
  organizationId: string
  environment: BillingEnvironment
  currency: string
  balanceMicros: Micros
  /** Reserved by open holds right now (in-process or database, whichever strategy runs). */
  heldMicros: Micros
  /** balance − held: what a new hold may take. */
  availableMicros: Micros
  version: bigint
}

/** An immutable ledger entry as the API shows it. */
export interface LedgerEntry {
  entryId: string
  accountId: string
  organizationId: string
  environment: BillingEnvironment
  kind: LedgerEntryKind
  /** > 0 credits the customer, < 0 debits, 0 is a waiver. */
  amountMicros: Micros
  balanceAfterMicros: Micros
  accountVersion: bigint
  counterAccount: string
  category: CreditCategory | null
  expiresAt: string | null
  idempotencyKey: string
  requestId: string | null
  adminRequestId: string | null
  originalEntryId: string | null
  approvalId: string | null
  holdId: string | null
  holdMicros: Micros | null
  outcome: SettlementOutcome | null
  settlementRule: string | null
  waivedMicros: Micros | null
  uncoveredMicros: Micros | null
  modelServed: string | null
  details: Record<string, unknown> | null
  createdAt: string
}

/**
 * The entry as its audit event's diff shows it (redact-diff keeps the allow-listed fields): the
 * money facts, no details.
 */
export function entryDiff(entry: LedgerEntry): Record<string, unknown> {
  return {
    kind: entry.kind,
    amountMicros: entry.amountMicros,
    accountId: entry.accountId,
    environment: entry.environment,
    category: entry.category,
    expiresAt: entry.expiresAt,
    requestId: entry.requestId,
    originalEntryId: entry.originalEntryId,
    approvalId: entry.approvalId,
    balanceAfterMicros: entry.balanceAfterMicros,
  }
}
