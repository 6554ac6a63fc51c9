/**
 * `budget_policies`: immutable versions (the database refuses UPDATE and DELETE), numbered
 * 1, 2, 3, … per scope: an organization, or one key of it.
 */
export interface BudgetPoliciesTable {
  /** `bpv_…` */
  budget_policy_id: string
  /** The organization ID, or `<organization id>/<key id>` for a key's own policy. */
  scope: string
  organization_id: string
  key_id: string | null
  version: bigint
  /** Canonical JSON of the policy; money as decimal strings of micros. */
  content_json: string
  /** SHA-256 (hex) of content_json. */
  content_hash: string
  /** 'publish' | 'rollback' | 'hard_cap_update' */
  change: string
  /** Rollback: the version whose content this one re-publishes. */
  rolled_back_from_version: bigint | null
  created_by: string
  created_at: string
}

/**
 * `budget_threshold_states`: per organization and threshold, where the balance was at the last
 * recorded crossing. It is what makes a crossing an event once, across restarts and instances.
 */
export interface BudgetThresholdStatesTable {
  organization_id: string
  /** 'warn' | 'downgrade' | 'block' */
  threshold: string
  /** 'above' | 'below' */
  state: string
  /** `btc_…`: the crossing that set this state (in its audit event and webhook). */
  last_crossing_id: string
  balance_micros: bigint
  threshold_micros: bigint
  updated_at: string
}

export interface BudgetTables {
  budget_policies: BudgetPoliciesTable
  budget_threshold_states: BudgetThresholdStatesTable
}
