/** `audit_events`: append-only; UPDATE and DELETE are refused by triggers (see 0003-audit). */
export interface AuditEventsTable {
  audit_event_id: string
  chain_id: string
  sequence: bigint
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
  /** Canonical JSON of the redacted before-state, or null. */
  before_json: string | null
  after_json: string | null
  reason_code: string | null
  reason_note: string | null
  request_id: string | null
  policy_version: string | null
  /** Canonical JSON of links to usage, ledger entries and approvals, or null. */
  evidence_json: string | null
  created_at: string
  previous_hash: string
  hash: string
}

/** `audit_chains`: the head of each chain; its row lock serializes appends per chain. */
export interface AuditChainsTable {
  chain_id: string
  last_sequence: bigint
  last_hash: string
  updated_at: string
}

/** `audit_checkpoints`: signed statements "chain X had N events ending in hash H at time T". */
export interface AuditCheckpointsTable {
  checkpoint_id: string
  chain_id: string
  sequence: bigint
  hash: string
  created_at: string
  key_id: string
  signature: string
}

/** `audit_purges`: retention purges; the anchor lets a purged chain still verify. */
export interface AuditPurgesTable {
  purge_id: string
  chain_id: string
  through_sequence: bigint
  through_hash: string
  checkpoint_id: string
  status: string
  created_at: string
}

/**
 * `audit_exports`: exports made through the admin API. Started in the transaction of their
 * `audit_log.export` event; completed with the signed manifest (canonical JSON) at the end.
 */
export interface AuditExportsTable {
  export_id: string
  /** `jsonl` | `csv` */
  format: string
  filters_json: string
  actor_id: string
  request_id: string | null
  /** `started` until the last byte is out, then `completed`; a broken download stays `started`. */
  status: string
  manifest_json: string | null
  created_at: string
  completed_at: string | null
}

export interface AuditTables {
  audit_events: AuditEventsTable
  audit_chains: AuditChainsTable
  audit_checkpoints: AuditCheckpointsTable
  audit_purges: AuditPurgesTable
  audit_exports: AuditExportsTable
}
