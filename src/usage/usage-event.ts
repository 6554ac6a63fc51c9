import type { UsageEventsTable } from './usage.table.js'

export const TOKEN_SOURCES = ['reported', 'estimated', 'none'] as const
export type TokenSource = (typeof TOKEN_SOURCES)[number]

export const REFUND_STATES = ['none', 'partial', 'full'] as const
export type RefundState = (typeof REFUND_STATES)[number]

/**
 * What the request path knows about a request when it records its usage. The writer adds what
 * only the commit knows: the time (the settlement's, shared with its ledger entry), the ledger
 * entry and what it charged or waived.
 */
export interface UsageDraft {
  requestId: string
  startedAt: string
  organizationId: string
  keyId: string
  keyLabel: string
  environment: string
  endpoint: string
  modelRequested: string | null
  modelServed: string | null
  provider: string | null
  providerAccountId: string | null
  routePolicyScope: string | null
  routePolicyVersion: string | null
  route: string | null
  fallbackReason: string | null
  downgradeReason: string | null
  budgetPolicyId: string | null
  budgetPolicyVersion: number | null
  budgetDecision: string | null
  budgetReason: string | null
  priceTableVersion: string | null
  promptTokens: number
  cachedTokens: number
  completionTokens: number
  reasoningTokens: number
  promptTokensSource: TokenSource
  completionTokensSource: TokenSource
  heldMicros: bigint
  settlementOutcome: string | null
  httpStatus: number
  upstreamStatus: number | null
  errorCode: string | null
  attempts: number
  attemptsJson: string | null
  latencyMs: number
  upstreamTtfbMs: number | null
  stream: boolean
  streamOutcome: string | null
  chunksDelivered: number | null
}

/** A recorded usage event, with its refund state read from the ledger. */
export interface UsageEvent extends UsageDraft {
  usageId: string
  createdAt: string
  costMicros: bigint
  waivedMicros: bigint
  ledgerEntryId: string | null
  settlementRule: string | null
  /** Σ of the refunds that cite this request (≥ 0). */
  refundedMicros: bigint
  refundState: RefundState
}

/** What the commit fills in. */
export interface UsageSettlementFacts {
  usageId: string
  createdAt: string
  costMicros: bigint
  waivedMicros: bigint
  ledgerEntryId: string | null
  settlementRule: string | null
}

export function draftToUsageRow(draft: UsageDraft, facts: UsageSettlementFacts): UsageEventsTable {
  return {
    usage_id: facts.usageId,
    request_id: draft.requestId,
    created_at: facts.createdAt,
    started_at: draft.startedAt,
    organization_id: draft.organizationId,
    key_id: draft.keyId,
    key_label: draft.keyLabel,
    environment: draft.environment,
    endpoint: draft.endpoint,
    model_requested: draft.modelRequested,
    model_served: draft.modelServed,
    provider: draft.provider,
    provider_account_id: draft.providerAccountId,
    route_policy_scope: draft.routePolicyScope,
    route_policy_version: draft.routePolicyVersion,
    route: draft.route,
    fallback_reason: draft.fallbackReason,
    downgrade_reason: draft.downgradeReason,
    budget_policy_id: draft.budgetPolicyId,
    budget_policy_version: draft.budgetPolicyVersion,
    budget_decision: draft.budgetDecision,
    budget_reason: draft.budgetReason,
    price_table_version: draft.priceTableVersion,
    prompt_tokens: draft.promptTokens,
    cached_tokens: draft.cachedTokens,
    completion_tokens: draft.completionTokens,
    reasoning_tokens: draft.reasoningTokens,
    prompt_tokens_source: draft.promptTokensSource,
    completion_tokens_source: draft.completionTokensSource,
    cost_micros: facts.costMicros,
    held_micros: draft.heldMicros,
    waived_micros: facts.waivedMicros,
    ledger_entry_id: facts.ledgerEntryId,
    settlement_outcome: draft.settlementOutcome,
    settlement_rule: facts.settlementRule,
    http_status: draft.httpStatus,
    upstream_status: draft.upstreamStatus,
    error_code: draft.errorCode,
    attempts: draft.attempts,
    attempts_json: draft.attemptsJson,
    latency_ms: draft.latencyMs,
    upstream_ttfb_ms: draft.upstreamTtfbMs,
    stream: draft.stream ? 1 : 0,
    stream_outcome: draft.streamOutcome,
    chunks_delivered: draft.chunksDelivered,
  }
}

/** The refund state of a charge: nothing refunded, part of it, or all of it. */
export function refundStateOf(costMicros: bigint, refundedMicros: bigint): RefundState {
  if (refundedMicros <= 0n) return 'none'
  return refundedMicros >= costMicros ? 'full' : 'partial'
}

// SQLite with safe integers returns every INTEGER as bigint; PostgreSQL returns int4 as number.
const int = (v: number | bigint): number => Number(v)
const intOrNull = (v: number | bigint | null): number | null => (v === null ? null : Number(v))

export function rowToUsageEvent(row: UsageEventsTable & { refunded_micros: bigint }): UsageEvent {
  const refunded = BigInt(row.refunded_micros)
  return {
    usageId: row.usage_id,
    requestId: row.request_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    organizationId: row.organization_id,
    keyId: row.key_id,
    keyLabel: row.key_label,
    environment: row.environment,
    endpoint: row.endpoint,
    modelRequested: row.model_requested,
    modelServed: row.model_served,
    provider: row.provider,
    providerAccountId: row.provider_account_id,
    routePolicyScope: row.route_policy_scope,
    routePolicyVersion: row.route_policy_version,
    route: row.route,
    fallbackReason: row.fallback_reason,
    downgradeReason: row.downgrade_reason,
    budgetPolicyId: row.budget_policy_id,
    budgetPolicyVersion: intOrNull(row.budget_policy_version),
    budgetDecision: row.budget_decision,
    budgetReason: row.budget_reason,
    priceTableVersion: row.price_table_version,
    promptTokens: int(row.prompt_tokens),
    cachedTokens: int(row.cached_tokens),
    completionTokens: int(row.completion_tokens),
    reasoningTokens: int(row.reasoning_tokens),
    promptTokensSource: row.prompt_tokens_source as TokenSource,
    completionTokensSource: row.completion_tokens_source as TokenSource,
    costMicros: row.cost_micros,
    heldMicros: row.held_micros,
    waivedMicros: row.waived_micros,
    ledgerEntryId: row.ledger_entry_id,
    settlementOutcome: row.settlement_outcome,
    settlementRule: row.settlement_rule,
    httpStatus: int(row.http_status),
    upstreamStatus: intOrNull(row.upstream_status),
    errorCode: row.error_code,
    attempts: int(row.attempts),
    attemptsJson: row.attempts_json,
    latencyMs: int(row.latency_ms),
    upstreamTtfbMs: intOrNull(row.upstream_ttfb_ms),
    stream: int(row.stream) === 1,
    streamOutcome: row.stream_outcome,
    chunksDelivered: intOrNull(row.chunks_delivered),
    refundedMicros: refunded,
    refundState: refundStateOf(row.cost_micros, refunded),
  }
}
