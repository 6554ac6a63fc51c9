import type { AuditAction, AuditCategory } from './audit-actions.js'
import type { AuditTargetType } from './redact-diff.js'

export const ACTOR_TYPES = ['user', 'api_token', 'system', 'cli'] as const
export type ActorType = (typeof ACTOR_TYPES)[number]

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number]

/** A short snake_case reason code (e.g. `customer_requested_key_rotation`) and an optional note. */
export interface AuditReason {
  code: string
  note?: string | null
}

/** Who is acting and from where: one per admin request (or CLI command, or job run). */
export interface AuditContext {
  actor: {
    type: ActorType
    /** Admin user id, admin token id, `cli:<user>` or `system:<job>:<policy>`. */
    id: string
    role: string | null
  }
  ip: string | null
  userAgent: string | null
  requestId: string | null
  /** Set while an admin acts inside a support session (impersonation). */
  impersonatorId?: string | null
  supportSessionId?: string | null
  reason?: AuditReason | null
}

/** What a change says about itself. The before/after states are redacted before storage. */
export interface AuditEventInput {
  action: AuditAction
  organizationId?: string | null
  target?: { type: AuditTargetType; id: string; label?: string | null }
  before?: Readonly<Record<string, unknown>> | null
  after?: Readonly<Record<string, unknown>> | null
  outcome?: AuditOutcome
  policyVersion?: string | null
  /** Links to what the change affected: request IDs, ledger entry IDs, approval event IDs. */
  evidence?: Readonly<Record<string, unknown>> | null
}

/** A stored audit event, as the API and exports show it. */
export interface AuditEvent {
  auditEventId: string
  chainId: string
  sequence: bigint
  schemaVersion: string
  organizationId: string | null
  actorType: ActorType
  actorId: string
  actorRole: string | null
  actorIp: string | null
  userAgent: string | null
  impersonatorId: string | null
  supportSessionId: string | null
  targetType: string | null
  targetId: string | null
  targetLabel: string | null
  action: AuditAction
  category: AuditCategory
  outcome: AuditOutcome
  before: unknown
  after: unknown
  reasonCode: string | null
  reasonNote: string | null
  requestId: string | null
  policyVersion: string | null
  evidence: unknown
  createdAt: string
  previousHash: string
  hash: string
}
