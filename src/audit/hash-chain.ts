import { createHash } from 'node:crypto'
import { canonicalJson } from './canonical-json.js'

/** The previous hash of the first event of every chain. */
export const GENESIS_HASH = '0'.repeat(64)
/** Events of organizations chain per organization; the rest chain here. */
export const PLATFORM_CHAIN = 'platform'
export const AUDIT_SCHEMA_VERSION = '1.0'

/**
 * Every field of an audit event that the hash covers: all of them but `hash` itself. The chain
 * id, sequence and organization are inside the hash, so moving a row to another chain, another
 * position or another organization breaks it.
 */
export interface HashedAuditFields {
  audit_event_id: string
  chain_id: string
  sequence: string
  schema_version: string
  organization_id: string | null
  actor_type: string
  actor_id: string
  actor_role: string | null
  actor_ip: string | null
  user_agent: string | null
  impersonator_id: string | null
  support_session_id: string | null
  target_type: string | null
  target_id: string | null
  target_label: string | null
  action: string
  category: string
  outcome: string
  before: unknown
  after: unknown
  reason_code: string | null
  reason_note: string | null
  request_id: string | null
  policy_version: string | null
  evidence: unknown
  created_at: string
  previous_hash: string
}

/** SHA-256 over a domain tag and the canonical JSON of the event: hex. */
export function computeEventHash(fields: HashedAuditFields): string {
  return createHash('sha256').update('ferry.audit.v1\n').update(canonicalJson(fields)).digest('hex')
}
