/**
 * `usage_events` (migration 0011-usage-events): one row per authenticated `/v1` request, written
 * in the transaction that posts its settlement (or alone, for a request nothing was held for).
 * Append-only: the database refuses UPDATE and DELETE; a refund is a ledger entry that cites the
 * request, and a row's refund state is read from the ledger (usage.repository.ts).
 */
export interface UsageEventsTable {
  /** `use_…`, time-ordered. */
  usage_id: string
  /**
   * The request ID the client saw (`x-request-id`). Not unique: a client may send its own, and
   * may reuse it.
   */
  request_id: string
  /** When the usage was recorded: the settlement's time, the same instant as its ledger entry. */
  created_at: string
  /** When the request arrived. */
  started_at: string
  organization_id: string
  key_id: string
  /** The key's display label (prefix + last four), never the secret. */
  key_label: string
  /** 'live' | 'test' */
  environment: string
  /** One of USAGE_ENDPOINTS (`chat.completions`, `embeddings`, …). */
  endpoint: string
  model_requested: string | null
  model_served: string | null
  /** The provider account's name that served (null when none did). */
  provider: string | null
  provider_account_id: string | null
  /** Whose route policy planned it: 'implicit' | 'global' | 'organization'. */
  route_policy_scope: string | null
  /** The route policy version that planned the request ('0' for the implicit policy). */
  route_policy_version: string | null
  route: string | null
  fallback_reason: string | null
  downgrade_reason: string | null
  /** `bpv_…` of the budget policy version that decided (the key's or the organization's). */
  budget_policy_id: string | null
  budget_policy_version: number | null
  /** 'allow' | 'warn' | 'downgrade' | 'block', null when no budget was consulted. */
  budget_decision: string | null
  budget_reason: string | null
  /** The price table version(s) that priced it; null on an unpriced request. */
  price_table_version: string | null
  prompt_tokens: number
  cached_tokens: number
  completion_tokens: number
  reasoning_tokens: number
  /** 'reported' (by the upstream) | 'estimated' (counted by Ferry) | 'none' (nothing ran). */
  prompt_tokens_source: string
  completion_tokens_source: string
  /** What the ledger charged: exactly −amount of the settlement entry, 0 when none. */
  cost_micros: bigint
  /** What was held for it at the end (a stream's windows included). */
  held_micros: bigint
  /** What a waiver entry records as not charged. */
  waived_micros: bigint
  ledger_entry_id: string | null
  /** One of SETTLEMENT_OUTCOMES, or null when nothing was held (unpriced or refused early). */
  settlement_outcome: string | null
  settlement_rule: string | null
  http_status: number
  /** The last upstream attempt's HTTP status, null when none answered. */
  upstream_status: number | null
  /** The error code the client got, null on success. */
  error_code: string | null
  /** Upstream attempts made (skipped targets excluded). */
  attempts: number
  /** The attempts as JSON: provider, model, outcome, condition, status, latency. No payloads. */
  attempts_json: string | null
  latency_ms: number
  /** From the served attempt's start to its answer (streams: the first item). */
  upstream_ttfb_ms: number | null
  /** 1 for an SSE stream. */
  stream: number
  /** 'completed' | 'client_aborted' | 'upstream_failed', null for a JSON answer. */
  stream_outcome: string | null
  chunks_delivered: number | null
}

export interface UsageTables {
  usage_events: UsageEventsTable
}
