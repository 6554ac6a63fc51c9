import { canonicalJson } from './canonical-json.js'
import type { AuditEventRow } from './audit.repository.js'
import type { AuditEvent, ActorType, AuditOutcome } from './audit-event.js'
import type { AuditAction, AuditCategory } from './audit-actions.js'
import type { HashedAuditFields } from './hash-chain.js'

/** The fields the hash covers, read back from a stored row (or an exported line). */
export function hashedFieldsOf(row: AuditEventRow): HashedAuditFields {
  return {
    audit_event_id: row.audit_event_id,
    chain_id: row.chain_id,
    sequence: String(row.sequence),
    schema_version: row.schema_version,
    organization_id: row.organization_id,
    actor_type: row.actor_type,
    actor_id: row.actor_id,
    actor_role: row.actor_role,
    actor_ip: row.actor_ip,
    user_agent: row.user_agent,
    impersonator_id: row.impersonator_id,
    support_session_id: row.support_session_id,
    target_type: row.target_type,
    target_id: row.target_id,
    target_label: row.target_label,
    action: row.action,
    category: row.category,
    outcome: row.outcome,
    before: parseJson(row.before_json),
    after: parseJson(row.after_json),
    reason_code: row.reason_code,
    reason_note: row.reason_note,
    request_id: row.request_id,
    policy_version: row.policy_version,
    evidence: parseJson(row.evidence_json),
    created_at: row.created_at,
    previous_hash: row.previous_hash,
  }
}

/**
 * An event as the admin API and exports show it: every hashed field plus the hash, snake_case,
 * the sequence as a decimal string. Anyone holding one can recompute its hash.
 */
export type AuditEventRecord = HashedAuditFields & { hash: string }

export function toAuditEventRecord(row: AuditEventRow): AuditEventRecord {
  return { ...hashedFieldsOf(row), hash: row.hash }
}

export function rowToAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    auditEventId: row.audit_event_id,
    chainId: row.chain_id,
    sequence: BigInt(row.sequence),
    schemaVersion: row.schema_version,
    organizationId: row.organization_id,
    actorType: row.actor_type as ActorType,
    actorId: row.actor_id,
    actorRole: row.actor_role,
    actorIp: row.actor_ip,
    userAgent: row.user_agent,
    impersonatorId: row.impersonator_id,
    supportSessionId: row.support_session_id,
    targetType: row.target_type,
    targetId: row.target_id,
    targetLabel: row.target_label,
    action: row.action as AuditAction,
    category: row.category as AuditCategory,
    outcome: row.outcome as AuditOutcome,
    before: parseJson(row.before_json),
    after: parseJson(row.after_json),
    reasonCode: row.reason_code,
    reasonNote: row.reason_note,
    requestId: row.request_id,
    policyVersion: row.policy_version,
    evidence: parseJson(row.evidence_json),
    createdAt: row.created_at,
    previousHash: row.previous_hash,
    hash: row.hash,
  }
}

/** Stored JSON columns hold canonical JSON (or null). */
export function toJsonColumn(value: unknown): string | null {
  return value === null || value === undefined ? null : canonicalJson(value)
}

function parseJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text)
}
