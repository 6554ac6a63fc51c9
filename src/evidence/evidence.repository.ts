import type { Selectable } from 'kysely'
import type { Database, Db } from '../storage/index.js'

export type EvidenceEntryRow = Selectable<Database['ledger_entries']>
export type EvidenceHoldRow = Selectable<Database['ledger_holds']>
export type EvidenceApprovalRow = Selectable<Database['billing_approvals']>
export type EvidenceRoutePolicyRow = Selectable<Database['route_policies']>
export type EvidenceBudgetPolicyRow = Selectable<Database['budget_policies']>
export type EvidencePriceTableRow = Selectable<Database['price_tables']>
export type EvidenceAuditRow = Selectable<Database['audit_events']>
export type EvidenceCheckpointRow = Selectable<Database['audit_checkpoints']>

/*
 * The reads that follow a request's links, each an indexed lookup (no scans): entries by
 * request_id, holds and approvals by their ids, policy versions by id or (scope, version),
 * audit events by target or by request_id, checkpoints by (chain_id, sequence). Read-only:
 * evidence never writes anything but its own audit event.
 */

/** Every ledger entry that names the request: its settlement(s) and the refunds citing it. */
export function findEntryRowsOfRequest(db: Db, requestId: string): Promise<EvidenceEntryRow[]> {
  return db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('request_id', '=', requestId)
    .orderBy('created_at')
    .orderBy('entry_id')
    .execute()
}

/** Stored holds (database hold strategy) by id; in-process holds have no row. */
export async function findHoldRows(db: Db, holdIds: readonly string[]): Promise<EvidenceHoldRow[]> {
  if (holdIds.length === 0) return []
  return db
    .selectFrom('ledger_holds')
    .selectAll()
    .where('hold_id', 'in', [...holdIds])
    .orderBy('hold_id')
    .execute()
}

export async function findApprovalRows(
  db: Db,
  approvalIds: readonly string[],
): Promise<EvidenceApprovalRow[]> {
  if (approvalIds.length === 0) return []
  return db
    .selectFrom('billing_approvals')
    .selectAll()
    .where('approval_id', 'in', [...approvalIds])
    .orderBy('approval_id')
    .execute()
}

/** Route policy versions are unique across scopes. */
export function findRoutePolicyRow(
  db: Db,
  version: bigint,
): Promise<EvidenceRoutePolicyRow | undefined> {
  return db
    .selectFrom('route_policies')
    .selectAll()
    .where('version', '=', version)
    .executeTakeFirst()
}

export function findBudgetPolicyRow(
  db: Db,
  budgetPolicyId: string,
): Promise<EvidenceBudgetPolicyRow | undefined> {
  return db
    .selectFrom('budget_policies')
    .selectAll()
    .where('budget_policy_id', '=', budgetPolicyId)
    .executeTakeFirst()
}

export function findPriceTableRow(
  db: Db,
  where: { scope: string; version: bigint },
): Promise<EvidencePriceTableRow | undefined> {
  return db
    .selectFrom('price_tables')
    .selectAll()
    .where('scope', '=', where.scope)
    .where('version', '=', where.version)
    .executeTakeFirst()
}

/** Audit events whose target is one of `targetIds` (of one target type). */
export async function findAuditRowsByTargets(
  db: Db,
  where: { targetType: string; targetIds: readonly string[] },
): Promise<EvidenceAuditRow[]> {
  if (where.targetIds.length === 0) return []
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('target_type', '=', where.targetType)
    .where('target_id', 'in', [...where.targetIds])
    .execute()
}

/**
 * System events that carry the customer request's ID as their own (a budget threshold crossed
 * by this request's settlement), limited to the request's organizations.
 */
export async function findSystemAuditRowsOfRequest(
  db: Db,
  where: { requestId: string; action: string; organizationIds: readonly string[] },
): Promise<EvidenceAuditRow[]> {
  if (where.organizationIds.length === 0) return []
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('request_id', '=', where.requestId)
    .where('action', '=', where.action)
    .where('actor_type', '=', 'system')
    .where('organization_id', 'in', [...where.organizationIds])
    .execute()
}

/** The first signed checkpoint of `chainId` at or after `sequence` (the oldest that covers it). */
export function findCoveringCheckpoint(
  db: Db,
  at: { chainId: string; sequence: bigint },
): Promise<EvidenceCheckpointRow | undefined> {
  return db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('chain_id', '=', at.chainId)
    .where('sequence', '>=', at.sequence)
    .orderBy('sequence')
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst()
}

/** A chain's events from `fromSequence` to `toSequence` (inclusive), in order. */
export function findChainSegment(
  db: Db,
  segment: { chainId: string; fromSequence: bigint; toSequence: bigint },
): Promise<EvidenceAuditRow[]> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('chain_id', '=', segment.chainId)
    .where('sequence', '>=', segment.fromSequence)
    .where('sequence', '<=', segment.toSequence)
    .orderBy('sequence')
    .execute()
}
