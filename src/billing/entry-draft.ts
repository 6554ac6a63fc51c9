import type { Insertable } from 'kysely'
import { canonicalJson } from '../audit/index.js'
import type { LedgerEntriesTable } from './ledger.table.js'
import type { CreditCategory, LedgerEntryKind } from './ledger-entry.js'
import type { Micros } from './money.js'

/** Everything an entry says about itself; the account state fills in the rest when it posts. */
export interface EntryDraft {
  kind: LedgerEntryKind
  amountMicros: Micros
  counterAccount: string
  idempotencyKey: string
  category?: CreditCategory | null
  expiresAt?: string | null
  requestId?: string | null
  adminRequestId?: string | null
  originalEntryId?: string | null
  approvalId?: string | null
  holdId?: string | null
  holdMicros?: Micros | null
  outcome?: string | null
  settlementRule?: string | null
  waivedMicros?: Micros | null
  uncoveredMicros?: Micros | null
  modelServed?: string | null
  details?: Record<string, unknown> | null
}

/** The row of a draft posted on an account at `version`, leaving it at `balanceAfterMicros`. */
export function draftToRow(
  draft: EntryDraft,
  posted: {
    entryId: string
    accountId: string
    organizationId: string
    environment: string
    balanceAfterMicros: Micros
    accountVersion: bigint
    createdAt: string
  },
): Insertable<LedgerEntriesTable> {
  return {
    entry_id: posted.entryId,
    account_id: posted.accountId,
    organization_id: posted.organizationId,
    environment: posted.environment,
    kind: draft.kind,
    amount_micros: draft.amountMicros,
    balance_after_micros: posted.balanceAfterMicros,
    account_version: posted.accountVersion,
    counter_account: draft.counterAccount,
    category: draft.category ?? null,
    expires_at: draft.expiresAt ?? null,
    idempotency_key: draft.idempotencyKey,
    request_id: draft.requestId ?? null,
    admin_request_id: draft.adminRequestId ?? null,
    original_entry_id: draft.originalEntryId ?? null,
    approval_id: draft.approvalId ?? null,
    hold_id: draft.holdId ?? null,
    hold_micros: draft.holdMicros ?? null,
    outcome: draft.outcome ?? null,
    settlement_rule: draft.settlementRule ?? null,
    waived_micros: draft.waivedMicros ?? null,
    uncovered_micros: draft.uncoveredMicros ?? null,
    model_served: draft.modelServed ?? null,
    details_json: detailsJsonOf(draft.details),
    created_at: posted.createdAt,
  }
}

/** How an entry's details are stored: canonical JSON (bigints as strings), so equal details compare equal as text. */
export function detailsJsonOf(details: Record<string, unknown> | null | undefined): string | null {
  return details ? canonicalJson(toJsonSafe(details)) : null
}

function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return value.map(toJsonSafe)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSafe(v)]))
  return value
}
