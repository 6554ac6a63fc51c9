import { z } from 'zod'
import {
  APPROVABLE_ACTIONS,
  BILLING_ENVIRONMENTS,
  CREDIT_CATEGORIES,
  INVOICE_MONTH,
  LEDGER_ENTRY_KINDS,
  SETTLEMENT_OUTCOMES,
} from '../../billing/index.js'
import { CountString, MicrosString, Timestamp } from './wire.schemas.js'

export const OrganizationIdParams = z.strictObject({
  organizationId: z.string().regex(/^org_[0-9a-z]{26}$/, 'must be an organization id (org_…)'),
})
const LEDGER_ENTRY_ID = /^le_[0-9a-z]{26}$/
export const EntryIdParams = z.strictObject({
  entryId: z.string().regex(LEDGER_ENTRY_ID, 'must be a ledger entry id (le_…)'),
})
export const ApprovalIdParams = z.strictObject({
  approvalId: z.string().regex(/^apr_[0-9a-z]{26}$/, 'must be an approval id (apr_…)'),
})
export const InvoiceParams = OrganizationIdParams.extend({
  month: z.string().regex(INVOICE_MONTH, 'must be a month (YYYY-MM, 1970-01 or later)'),
})

/** Money on the wire: a decimal string of micros, positive, never a JSON number. */
const PositiveMicros = z
  .string()
  .regex(/^[1-9][0-9]{0,17}$/, 'must be a positive whole number of micros, as a string')
  .transform((value) => BigInt(value))
const Environment = z.enum(BILLING_ENVIRONMENTS)
/** Retrying with the same key returns the first result; another operation with it is a 409. */
const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1–128 of A-Z a-z 0-9 . _ : -')
const ApprovalId = z.string().regex(/^apr_[0-9a-z]{26}$/, 'must be an approval id (apr_…)')
const IsoTimestamp = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value).toISOString())

export const ListEntriesQuery = z.strictObject({
  environment: Environment.optional(),
  kind: z.enum(LEDGER_ENTRY_KINDS).optional(),
  requestId: z.string().min(1).max(128).optional(),
  // The previous page's nextCursor: the last entry's id.
  after: z
    .string()
    .regex(LEDGER_ENTRY_ID, "must be the previous page's nextCursor (le_…)")
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

export const ListApprovalsQuery = z.strictObject({
  /** @default 'pending' — waiting for a second admin (expired ones are left out). */
  status: z.enum(['pending', 'granted', 'used']).default('pending'),
  organizationId: z
    .string()
    .regex(/^org_[0-9a-z]{26}$/, 'must be an organization id (org_…)')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})

export const CreditBody = z.strictObject({
  environment: Environment.default('live'),
  amountMicros: PositiveMicros,
  category: z.enum(CREDIT_CATEGORIES).default('paid'),
  expiresAt: IsoTimestamp.nullable().optional(),
  /** A paid invoice applied to the balance (entry kind `invoice_application`). */
  invoiceId: z.string().min(1).max(128).optional(),
  idempotencyKey: IdempotencyKey,
  approvalId: ApprovalId.optional(),
})

export const RefundBody = z.strictObject({
  requestId: z.string().min(1).max(128),
  settlementEntryId: z.string().regex(/^le_[0-9a-z]{26}$/, 'must be a ledger entry id (le_…)'),
  amountMicros: PositiveMicros,
  idempotencyKey: IdempotencyKey,
  approvalId: ApprovalId.optional(),
})

export const VoidBody = z.strictObject({ idempotencyKey: IdempotencyKey })

export const AdjustmentBody = z.strictObject({
  environment: Environment.default('live'),
  direction: z.enum(['credit', 'debit']),
  amountMicros: PositiveMicros,
  idempotencyKey: IdempotencyKey,
  approvalId: ApprovalId.optional(),
})

export const ApprovalRequestBody = z.strictObject({
  action: z.enum(APPROVABLE_ACTIONS),
  /** The account the approved posting is for; a refund's is its original charge's. */
  environment: Environment.default('live'),
  amountMicros: PositiveMicros,
})

export const InvoiceQuery = z.strictObject({
  environment: Environment.default('live'),
  format: z.enum(['json', 'csv']).default('json'),
})

/** One prepaid account's state (src/billing/ledger-entry.ts LedgerAccount). */
export const BalanceAccountResponse = z.object({
  accountId: z.string(),
  organizationId: z.string(),
  environment: Environment,
  currency: z.string(),
  balanceMicros: MicrosString,
  /** Reserved by open holds right now. */
  heldMicros: MicrosString,
  /** balance − held: what a new hold may take. */
  availableMicros: MicrosString,
  version: CountString,
})

export const BalanceResponse = z.object({
  object: z.literal('balance'),
  organizationId: z.string(),
  currency: z.string(),
  accounts: z.array(BalanceAccountResponse),
})

/** An immutable ledger entry (src/billing/ledger-entry.ts LedgerEntry). */
export const LedgerEntryResponse = z.object({
  entryId: z.string(),
  accountId: z.string(),
  organizationId: z.string(),
  environment: Environment,
  kind: z.enum(LEDGER_ENTRY_KINDS),
  /** > 0 credits the customer, < 0 debits, 0 is a waiver. */
  amountMicros: MicrosString,
  balanceAfterMicros: MicrosString,
  accountVersion: CountString,
  counterAccount: z.string(),
  category: z.enum(CREDIT_CATEGORIES).nullable(),
  expiresAt: Timestamp.nullable(),
  idempotencyKey: z.string(),
  requestId: z.string().nullable(),
  adminRequestId: z.string().nullable(),
  originalEntryId: z.string().nullable(),
  approvalId: z.string().nullable(),
  holdId: z.string().nullable(),
  holdMicros: MicrosString.nullable(),
  outcome: z.enum(SETTLEMENT_OUTCOMES).nullable(),
  settlementRule: z.string().nullable(),
  waivedMicros: MicrosString.nullable(),
  uncoveredMicros: MicrosString.nullable(),
  modelServed: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  createdAt: Timestamp,
})

/**
 * One entry as `GET /billing/entries/:entryId` shows it: with the audit event that posted it
 * (null for entries no admin action posts, such as usage charges), the entries that correct it
 * (refunds, voids) and every entry of its request.
 */
export const LedgerEntryDetailResponse = LedgerEntryResponse.extend({
  auditEventId: z.string().nullable(),
  corrections: z.array(LedgerEntryResponse),
  requestEntries: z.array(LedgerEntryResponse),
})

/** A money movement waiting for (or granted by) a second admin. */
export const ApprovalResponse = z.object({
  approvalId: z.string(),
  organizationId: z.string(),
  environment: Environment,
  action: z.enum(APPROVABLE_ACTIONS),
  amountMicros: MicrosString,
  status: z.enum(['pending', 'granted', 'used']),
  requestedBy: z.string(),
  grantedBy: z.string().nullable(),
  grantedAt: Timestamp.nullable(),
  usedByEntryId: z.string().nullable(),
  expiresAt: Timestamp,
  createdAt: Timestamp,
})

export const ApprovalListResponse = z.object({
  object: z.literal('list'),
  data: z.array(ApprovalResponse),
})
