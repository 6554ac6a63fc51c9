import type { AuditEventRecord } from '../audit/index.js'
import type { UsageEvent } from '../usage/index.js'
import type {
  EvidenceApprovalRow,
  EvidenceBudgetPolicyRow,
  EvidenceCheckpointRow,
  EvidenceEntryRow,
  EvidenceHoldRow,
  EvidencePriceTableRow,
  EvidenceRoutePolicyRow,
} from './evidence.repository.js'

export const EVIDENCE_FORMAT = 'ferry.evidence.v1'

/** Why an audit event belongs to a request's evidence. */
export const EVIDENCE_LINKS = [
  'refund',
  'credit',
  'adjustment',
  'void',
  'approval_request',
  'approval_grant',
  'budget_threshold',
] as const
export type EvidenceLink = (typeof EVIDENCE_LINKS)[number]

/** JSON-safe (money as decimal strings of micros), so the API, the CLI and a bundle agree. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** A usage event as evidence shows it: every field, money as decimal strings. */
export type UsageEventEvidence = Record<string, Json>

/** What settling a hold did: held, charged, released (= held − charged), by which rule. */
export interface SettlementEvidence {
  holdId: string | null
  holdMicros: string | null
  chargedMicros: string
  releasedMicros: string | null
  waivedMicros: string | null
  uncoveredMicros: string | null
  outcome: string | null
  rule: string | null
}

export interface LedgerEntryEvidence {
  entryId: string
  accountId: string
  organizationId: string
  environment: string
  kind: string
  amountMicros: string
  balanceAfterMicros: string
  accountVersion: string
  counterAccount: string
  requestId: string | null
  adminRequestId: string | null
  originalEntryId: string | null
  approvalId: string | null
  modelServed: string | null
  details: Json
  createdAt: string
  /** Usage charges and waivers: the hold they settled. Null for other kinds. */
  settlement: SettlementEvidence | null
}

export interface HoldEvidence {
  holdId: string
  accountId: string
  requestId: string
  amountMicros: string
  status: string
  expiresAt: string
  createdAt: string
  resolvedAt: string | null
}

export interface ApprovalEvidence {
  approvalId: string
  organizationId: string
  /** The account it was for: live | test. */
  environment: string
  action: string
  amountMicros: string
  status: string
  requestedBy: string
  grantedBy: string | null
  grantedAt: string | null
  usedByEntryId: string | null
  expiresAt: string
  createdAt: string
}

/** `found`: the stored version; `implicit`: version 0, no stored content; `missing`: not found. */
export type VersionStatus = 'found' | 'implicit' | 'missing'

export interface RoutePolicyEvidence {
  status: VersionStatus
  /** As the usage event names it: 'implicit' | 'global' | 'organization'. */
  scope: string | null
  version: string
  routePolicyId: string | null
  /** The stored scope: 'global' or the organization id. */
  storedScope: string | null
  contentHash: string | null
  source: string | null
  createdBy: string | null
  createdAt: string | null
  /** The policy document exactly as stored (canonical JSON), null for the implicit policy. */
  content: Json
  note: string | null
}

export interface BudgetPolicyEvidence {
  status: Exclude<VersionStatus, 'implicit'>
  budgetPolicyId: string
  version: number | null
  organizationId: string | null
  keyId: string | null
  contentHash: string | null
  change: string | null
  createdBy: string | null
  createdAt: string | null
  content: Json
}

export interface PriceTableEvidence {
  status: Exclude<VersionStatus, 'implicit'>
  /** The usage event's `price_table_version` this part comes from (`3` or `3+org_…@2`). */
  label: string
  scope: 'platform' | 'organization'
  organizationId: string | null
  version: number
  priceTableId: string | null
  contentHash: string | null
  note: string | null
  createdBy: string | null
  createdAt: string | null
  content: Json
}

/** The oldest signed checkpoint that covers an event (its sequence ≥ the event's). */
export interface CheckpointEvidence {
  checkpointId: string
  chainId: string
  sequence: string
  /** The chain's head hash at the checkpoint. */
  hash: string
  createdAt: string
  keyId: string
  signature: string
}

export interface ChainProof {
  chainId: string
  sequence: string
  previousHash: string
  hash: string
  /** `pending_checkpoint`: no signed checkpoint covers the event yet (the next one will). */
  status: 'checkpointed' | 'pending_checkpoint'
  checkpoint: CheckpointEvidence | null
}

export interface AuditEventEvidence {
  link: EvidenceLink
  /** Which link of the request led to it (a ledger entry, an approval, the request ID). */
  via: string
  /** The event as stored and exported (redacted at write time): its hash can be recomputed. */
  event: AuditEventRecord
  proof: ChainProof
}

/**
 * Everything recorded about one request ID, in one document: usage, money, the versions that
 * decided it, the admin actions that adjusted it and their place in the signed audit chain.
 */
export interface EvidenceDocument {
  object: 'request_evidence'
  format: typeof EVIDENCE_FORMAT
  requestId: string
  generatedAt: string
  organizationIds: string[]
  usageEvents: UsageEventEvidence[]
  ledger: {
    entries: LedgerEntryEvidence[]
    /** Database hold strategy: the stored holds the settlements resolved. */
    holds: HoldEvidence[]
    approvals: ApprovalEvidence[]
    totals: {
      chargedMicros: string
      waivedMicros: string
      refundedMicros: string
      /** What the customer paid in the end: charged − refunded. */
      netMicros: string
    }
  }
  routePolicies: RoutePolicyEvidence[]
  budgetPolicies: BudgetPolicyEvidence[]
  priceTables: PriceTableEvidence[]
  auditEvents: AuditEventEvidence[]
}

const text = (value: bigint | number | null): string | null =>
  value === null ? null : String(value)

/** bigint → decimal string, recursively; everything else as it is. */
export function toJson(value: unknown): Json {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return value.map(toJson)
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toJson(v)]),
    )
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
    return value
  return null
}

export function usageEventEvidence(event: UsageEvent): UsageEventEvidence {
  return toJson(event) as UsageEventEvidence
}

const SETTLEMENT_KINDS = new Set(['usage_charge', 'usage_waiver'])

export function entryEvidence(row: EvidenceEntryRow): LedgerEntryEvidence {
  const settles = SETTLEMENT_KINDS.has(row.kind)
  const charged = row.kind === 'usage_charge' ? -row.amount_micros : 0n
  return {
    entryId: row.entry_id,
    accountId: row.account_id,
    organizationId: row.organization_id,
    environment: row.environment,
    kind: row.kind,
    amountMicros: String(row.amount_micros),
    balanceAfterMicros: String(row.balance_after_micros),
    accountVersion: String(row.account_version),
    counterAccount: row.counter_account,
    requestId: row.request_id,
    adminRequestId: row.admin_request_id,
    originalEntryId: row.original_entry_id,
    approvalId: row.approval_id,
    modelServed: row.model_served,
    details: row.details_json === null ? null : (JSON.parse(row.details_json) as Json),
    createdAt: row.created_at,
    settlement: settles
      ? {
          holdId: row.hold_id,
          holdMicros: text(row.hold_micros),
          chargedMicros: String(charged),
          releasedMicros: row.hold_micros === null ? null : String(row.hold_micros - charged),
          waivedMicros: text(row.waived_micros),
          uncoveredMicros: text(row.uncovered_micros),
          outcome: row.outcome,
          rule: row.settlement_rule,
        }
      : null,
  }
}

export function holdEvidence(row: EvidenceHoldRow): HoldEvidence {
  return {
    holdId: row.hold_id,
    accountId: row.account_id,
    requestId: row.request_id,
    amountMicros: String(row.amount_micros),
    status: row.status,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  }
}

export function approvalEvidence(row: EvidenceApprovalRow): ApprovalEvidence {
  return {
    approvalId: row.approval_id,
    organizationId: row.organization_id,
    environment: row.environment,
    action: row.action,
    amountMicros: String(row.amount_micros),
    status: row.status,
    requestedBy: row.requested_by,
    grantedBy: row.granted_by,
    grantedAt: row.granted_at,
    usedByEntryId: row.used_by_entry_id,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  }
}

/** Σ of the request's entries by kind: charged, waived, refunded, and what remains paid. */
export function ledgerTotals(rows: readonly EvidenceEntryRow[]) {
  let charged = 0n
  let waived = 0n
  let refunded = 0n
  for (const row of rows) {
    if (row.kind === 'usage_charge') charged += -row.amount_micros
    if (row.kind === 'usage_waiver') waived += row.waived_micros ?? 0n
    if (row.kind === 'refund') refunded += row.amount_micros
  }
  return {
    chargedMicros: String(charged),
    waivedMicros: String(waived),
    refundedMicros: String(refunded),
    netMicros: String(charged - refunded),
  }
}

export function routePolicyEvidence(
  named: { scope: string | null; version: string },
  row: EvidenceRoutePolicyRow | undefined,
): RoutePolicyEvidence {
  const base = { scope: named.scope, version: named.version }
  if (named.version === '0')
    return {
      ...base,
      status: 'implicit',
      routePolicyId: null,
      storedScope: null,
      contentHash: null,
      source: null,
      createdBy: null,
      createdAt: null,
      content: null,
      note: 'The implicit policy: no route policy was published, so the model was served by the provider account that lists it. It has no stored content.',
    }
  if (!row)
    return {
      ...base,
      status: 'missing',
      routePolicyId: null,
      storedScope: null,
      contentHash: null,
      source: null,
      createdBy: null,
      createdAt: null,
      content: null,
      note: 'No stored route policy has this version.',
    }
  return {
    ...base,
    status: 'found',
    routePolicyId: row.route_policy_id,
    storedScope: row.scope,
    contentHash: row.content_hash,
    source: row.source,
    createdBy: row.created_by,
    createdAt: row.created_at,
    content: JSON.parse(row.policy_json) as Json,
    note: null,
  }
}

export function budgetPolicyEvidence(
  budgetPolicyId: string,
  row: EvidenceBudgetPolicyRow | undefined,
): BudgetPolicyEvidence {
  if (!row)
    return {
      status: 'missing',
      budgetPolicyId,
      version: null,
      organizationId: null,
      keyId: null,
      contentHash: null,
      change: null,
      createdBy: null,
      createdAt: null,
      content: null,
    }
  return {
    status: 'found',
    budgetPolicyId,
    version: Number(row.version),
    organizationId: row.organization_id,
    keyId: row.key_id,
    contentHash: row.content_hash,
    change: row.change,
    createdBy: row.created_by,
    createdAt: row.created_at,
    content: JSON.parse(row.content_json) as Json,
  }
}

/** The price table versions a usage event's label names: `3` or `3+org_…@2` (base + override). */
export function priceTableRefs(
  label: string,
): { scope: string; organizationId: string | null; version: number }[] {
  const [base, override] = label.split('+', 2)
  const refs: { scope: string; organizationId: string | null; version: number }[] = []
  if (base !== undefined && /^\d+$/.test(base))
    refs.push({ scope: 'platform', organizationId: null, version: Number(base) })
  const match = override === undefined ? null : /^(.+)@(\d+)$/.exec(override)
  if (match) refs.push({ scope: match[1]!, organizationId: match[1]!, version: Number(match[2]) })
  return refs
}

export function priceTableEvidence(
  ref: { label: string; organizationId: string | null; version: number },
  row: EvidencePriceTableRow | undefined,
): PriceTableEvidence {
  return {
    status: row ? 'found' : 'missing',
    label: ref.label,
    scope: ref.organizationId === null ? 'platform' : 'organization',
    organizationId: ref.organizationId,
    version: ref.version,
    priceTableId: row?.price_table_id ?? null,
    contentHash: row?.content_hash ?? null,
    note: row?.note ?? null,
    createdBy: row?.created_by ?? null,
    createdAt: row?.created_at ?? null,
    content: row ? (JSON.parse(row.content_json) as Json) : null,
  }
}

export function chainProof(
  event: AuditEventRecord,
  checkpoint: EvidenceCheckpointRow | undefined,
): ChainProof {
  return {
    chainId: event.chain_id,
    sequence: event.sequence,
    previousHash: event.previous_hash,
    hash: event.hash,
    status: checkpoint ? 'checkpointed' : 'pending_checkpoint',
    checkpoint: checkpoint
      ? {
          checkpointId: checkpoint.checkpoint_id,
          chainId: checkpoint.chain_id,
          sequence: String(checkpoint.sequence),
          hash: checkpoint.hash,
          createdAt: checkpoint.created_at,
          keyId: checkpoint.key_id,
          signature: checkpoint.signature,
        }
      : null,
  }
}

const LINK_OF_ACTION: Readonly<Record<string, EvidenceLink>> = {
  'billing.refund': 'refund',
  'billing.credit': 'credit',
  'billing.manual_adjustment': 'adjustment',
  'billing.void': 'void',
  'billing.approval_request': 'approval_request',
  'billing.approval_grant': 'approval_grant',
  'budget.threshold_crossed': 'budget_threshold',
}

/** The link an audit action stands for in evidence, or null for an action evidence ignores. */
export function linkOfAction(action: string): EvidenceLink | null {
  return LINK_OF_ACTION[action] ?? null
}
