/**
 * What the usage reads take: filters, the keyset cursor, the aggregate groupings and their
 * results. Pure: the repository turns a filter into SQL, the HTTP layer parses one from a query.
 */

/** HTTP status classes a filter may name instead of one status. */
export const HTTP_STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const
export type HttpStatusClass = (typeof HTTP_STATUS_CLASSES)[number]

/**
 * Which usage events a read covers. Every field is optional and they combine with AND; `from`
 * is inclusive and `to` exclusive, both on `created_at` (ISO timestamps, the stored form), so
 * consecutive periods never share a row.
 */
export interface UsageFilter {
  organizationId?: string
  keyId?: string
  environment?: string
  endpoint?: string
  modelRequested?: string
  modelServed?: string
  provider?: string
  httpStatus?: number
  httpStatusClass?: HttpStatusClass
  settlementOutcome?: string
  requestId?: string
  from?: string
  to?: string
}

/** Where a page ends: the (created_at, usage_id) of its last row. */
export interface UsageCursor {
  createdAt: string
  usageId: string
}

const STORED_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const USAGE_ID = /^use_[0-9a-z]{26}$/

/** Opaque to clients: base64url of `created_at|usage_id`. */
export function encodeUsageCursor(cursor: UsageCursor): string {
  return Buffer.from(`${cursor.createdAt}|${cursor.usageId}`).toString('base64url')
}

/** The cursor a client passed back, or undefined when it is not one this API wrote. */
export function decodeUsageCursor(text: string): UsageCursor | undefined {
  const [createdAt, usageId, extra] = Buffer.from(text, 'base64url').toString().split('|')
  if (extra !== undefined || createdAt === undefined || usageId === undefined) return undefined
  if (!STORED_TIMESTAMP.test(createdAt) || !USAGE_ID.test(usageId)) return undefined
  return { createdAt, usageId }
}

/**
 * How aggregates group: by UTC day of `created_at`, by the model that served, by the pair
 * (model requested, model served) — where routing, aliases or downgrades changed the model —
 * or by key.
 */
export const USAGE_GROUPINGS = ['day', 'model', 'model_pair', 'key'] as const
export type UsageGrouping = (typeof USAGE_GROUPINGS)[number]

/** Sums over a set of usage events: exact integers, money in micros. */
export interface UsageTotals {
  requests: bigint
  promptTokens: bigint
  cachedTokens: bigint
  completionTokens: bigint
  reasoningTokens: bigint
  /** Σ cost_micros: what the ledger charged (Σ of the usage_charge entries, negated). */
  costMicros: bigint
  /** Σ of the refunds citing these requests, whenever they were posted. */
  refundedMicros: bigint
  waivedMicros: bigint
}

/** One aggregate group: its key fields (null where the grouping does not use them) and sums. */
export interface UsageAggregate extends UsageTotals {
  /** `YYYY-MM-DD` (UTC), grouping `day`. */
  day: string | null
  /** Groupings `model` and `model_pair`. */
  modelServed: string | null
  /** Grouping `model_pair`. */
  modelRequested: string | null
  /** Grouping `key`, with the key's label as its latest event shows it. */
  keyId: string | null
  keyLabel: string | null
}

export const ZERO_USAGE_TOTALS: UsageTotals = Object.freeze({
  requests: 0n,
  promptTokens: 0n,
  cachedTokens: 0n,
  completionTokens: 0n,
  reasoningTokens: 0n,
  costMicros: 0n,
  refundedMicros: 0n,
  waivedMicros: 0n,
})

/** Month-to-date usage of one budget scope (`org:<id>` or `key:<id>`). */
export interface ScopeUsage {
  scope: string
  /** prompt + completion tokens, as monthly token limits count them. */
  tokens: bigint
  spendMicros: bigint
}
