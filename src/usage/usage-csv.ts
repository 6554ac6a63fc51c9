import type { UsageEvent } from './usage-event.js'

/**
 * Version of the usage CSV export's schema (docs/usage-export.md). Columns are only ever added at
 * the end within a version; renaming, removing, reordering or changing the meaning of a column
 * makes a new version. Sent as `x-ferry-usage-export-version`.
 */
export const USAGE_EXPORT_VERSION = '1'

/** The export's columns, in order: the header row of every v1 file. */
export const USAGE_CSV_COLUMNS = [
  'usage_id',
  'request_id',
  'created_at',
  'started_at',
  'organization_id',
  'environment',
  'key_id',
  'key_label',
  'endpoint',
  'model_requested',
  'model_served',
  'provider',
  'provider_account_id',
  'route_policy_scope',
  'route_policy_version',
  'route',
  'fallback_reason',
  'downgrade_reason',
  'budget_policy_id',
  'budget_policy_version',
  'budget_decision',
  'budget_reason',
  'price_table_version',
  'prompt_tokens',
  'cached_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'prompt_tokens_source',
  'completion_tokens_source',
  'currency',
  'cost_micros',
  'cost',
  'refunded_micros',
  'refunded',
  'net_cost_micros',
  'refund_state',
  'held_micros',
  'waived_micros',
  'ledger_entry_id',
  'settlement_outcome',
  'settlement_rule',
  'http_status',
  'upstream_status',
  'error_code',
  'attempts',
  'latency_ms',
  'upstream_ttfb_ms',
  'stream',
  'stream_outcome',
  'chunks_delivered',
] as const
export type UsageCsvColumn = (typeof USAGE_CSV_COLUMNS)[number]

/** RFC 4180 line ending (CR LF); line breaks inside a quoted cell are kept as they are. */
export const CSV_LINE_END = '\r\n'

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * One CSV cell: a spreadsheet would run a text cell starting with `=`, `+`, `-`, `@`, tab or CR
 * as a formula (model names and key labels come from clients and admins), so such a cell gets a
 * leading apostrophe — numbers Ferry wrote itself are left alone. Then RFC 4180 quoting: a cell
 * holding a comma, quote, CR or LF is quoted, its quotes doubled.
 * @example csvCell('=HYPERLINK("x")') // `"'=HYPERLINK(""x"")"`
 */
export function csvCell(value: string | number | bigint | boolean | null): string {
  if (value === null) return ''
  const text = String(value)
  const safe = FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** One CSV line (with its line end) from cells in column order. */
export function csvLine(cells: readonly (string | number | bigint | boolean | null)[]): string {
  return cells.map(csvCell).join(',') + CSV_LINE_END
}

/** The header line of a v1 usage export. */
export function usageCsvHeader(): string {
  return csvLine(USAGE_CSV_COLUMNS)
}

/**
 * Micros as a decimal amount with all six places (`12500000n` → `"12.500000"`): only a change
 * of notation, never a rounding (the same rule as billing's formatDecimalAmount).
 */
export function microsToDecimal(micros: bigint): string {
  const negative = micros < 0n
  const abs = negative ? -micros : micros
  return `${negative ? '-' : ''}${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, '0')}`
}

/** A usage event as its v1 CSV line, in USAGE_CSV_COLUMNS order. */
export function usageEventCsvLine(event: UsageEvent, currency: string): string {
  const cells: Record<UsageCsvColumn, string | number | bigint | boolean | null> = {
    usage_id: event.usageId,
    request_id: event.requestId,
    created_at: event.createdAt,
    started_at: event.startedAt,
    organization_id: event.organizationId,
    environment: event.environment,
    key_id: event.keyId,
    key_label: event.keyLabel,
    endpoint: event.endpoint,
    model_requested: event.modelRequested,
    model_served: event.modelServed,
    provider: event.provider,
    provider_account_id: event.providerAccountId,
    route_policy_scope: event.routePolicyScope,
    route_policy_version: event.routePolicyVersion,
    route: event.route,
    fallback_reason: event.fallbackReason,
    downgrade_reason: event.downgradeReason,
    budget_policy_id: event.budgetPolicyId,
    budget_policy_version: event.budgetPolicyVersion,
    budget_decision: event.budgetDecision,
    budget_reason: event.budgetReason,
    price_table_version: event.priceTableVersion,
    prompt_tokens: event.promptTokens,
    cached_tokens: event.cachedTokens,
    completion_tokens: event.completionTokens,
    reasoning_tokens: event.reasoningTokens,
    prompt_tokens_source: event.promptTokensSource,
    completion_tokens_source: event.completionTokensSource,
    currency,
    cost_micros: event.costMicros,
    cost: microsToDecimal(event.costMicros),
    refunded_micros: event.refundedMicros,
    refunded: microsToDecimal(event.refundedMicros),
    net_cost_micros: event.costMicros - event.refundedMicros,
    refund_state: event.refundState,
    held_micros: event.heldMicros,
    waived_micros: event.waivedMicros,
    ledger_entry_id: event.ledgerEntryId,
    settlement_outcome: event.settlementOutcome,
    settlement_rule: event.settlementRule,
    http_status: event.httpStatus,
    upstream_status: event.upstreamStatus,
    error_code: event.errorCode,
    attempts: event.attempts,
    latency_ms: event.latencyMs,
    upstream_ttfb_ms: event.upstreamTtfbMs,
    stream: event.stream,
    stream_outcome: event.streamOutcome,
    chunks_delivered: event.chunksDelivered,
  }
  return csvLine(USAGE_CSV_COLUMNS.map((column) => cells[column]))
}
