import { z } from 'zod'
import { BILLING_ENVIRONMENTS, isInvoiceMonth, monthPeriod } from '../../billing/index.js'
import {
  HTTP_STATUS_CLASSES,
  REFUND_STATES,
  TOKEN_SOURCES,
  USAGE_GROUPINGS,
  decodeUsageCursor,
  type HttpStatusClass,
  type UsageFilter,
} from '../../usage/index.js'
import { IsoTimestamp as Timestamp } from '../iso-timestamp.schema.js'
import { CountString, MicrosString, Timestamp as WireTimestamp } from './wire.schemas.js'

const OrganizationId = z.string().regex(/^org_[0-9a-z]{26}$/, 'must be an organization id (org_…)')
const Text = z.string().min(1).max(200)
const Month = z.string().refine(isInvoiceMonth, 'must be a month (YYYY-MM)')

/** `httpStatus=429` or a class: `httpStatus=5xx`. */
const HttpStatus = z
  .string()
  .regex(/^([1-5][0-9]{2}|[1-5]xx)$/, 'must be a status (429) or a class (2xx, 4xx, 5xx)')
  .transform((value): { httpStatus: number } | { httpStatusClass: HttpStatusClass } =>
    value.endsWith('xx')
      ? { httpStatusClass: value as HttpStatusClass }
      : { httpStatus: Number(value) },
  )
  .refine(
    (v) => !('httpStatusClass' in v) || HTTP_STATUS_CLASSES.includes(v.httpStatusClass),
    'must be a status class Ferry records (2xx, 3xx, 4xx, 5xx)',
  )

const FilterFields = {
  organizationId: OrganizationId.optional(),
  keyId: Text.optional(),
  environment: z.enum(BILLING_ENVIRONMENTS).optional(),
  endpoint: Text.optional(),
  modelRequested: Text.optional(),
  modelServed: Text.optional(),
  provider: Text.optional(),
  httpStatus: HttpStatus.optional(),
  settlementOutcome: Text.optional(),
  requestId: Text.optional(),
  /** Inclusive. */
  from: Timestamp.optional(),
  /** Exclusive. */
  to: Timestamp.optional(),
}

const FROM_NOT_AFTER_TO = {
  check: (q: { from?: string; to?: string }) =>
    q.from === undefined || q.to === undefined || q.from <= q.to,
  issue: { message: 'must not be after `to`', path: ['from'] },
}

/** The parsed filter fields as the usage service's filter. */
export function toUsageFilter(query: {
  organizationId?: string | undefined
  keyId?: string | undefined
  environment?: string | undefined
  endpoint?: string | undefined
  modelRequested?: string | undefined
  modelServed?: string | undefined
  provider?: string | undefined
  httpStatus?: { httpStatus: number } | { httpStatusClass: HttpStatusClass } | undefined
  settlementOutcome?: string | undefined
  requestId?: string | undefined
  from?: string | undefined
  to?: string | undefined
}): UsageFilter {
  const { httpStatus, ...rest } = query
  const filter: UsageFilter = {}
  for (const [name, value] of Object.entries(rest))
    if (value !== undefined) (filter as Record<string, string>)[name] = value
  return { ...filter, ...httpStatus }
}

/** `GET /usage`: filters, a page size and the opaque cursor of the previous page. */
export const ListUsageQuery = z
  .strictObject({
    ...FilterFields,
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z
      .string()
      .max(200)
      .refine(
        (text) => decodeUsageCursor(text) !== undefined,
        'is not a cursor this API returned; pass next_cursor unchanged',
      )
      .transform((text) => decodeUsageCursor(text)!)
      .optional(),
  })
  .refine(FROM_NOT_AFTER_TO.check, FROM_NOT_AFTER_TO.issue)

/** `GET /usage/aggregates`: the same filters and a grouping. */
export const UsageAggregatesQuery = z
  .strictObject({ ...FilterFields, groupBy: z.enum(USAGE_GROUPINGS) })
  .refine(FROM_NOT_AFTER_TO.check, FROM_NOT_AFTER_TO.issue)

/** `GET /usage/export`: one organization, a month or a [from, to) period, optionally one environment. */
export const ExportUsageQuery = z
  .strictObject({
    organizationId: OrganizationId,
    month: Month.optional(),
    from: Timestamp.optional(),
    to: Timestamp.optional(),
    environment: z.enum(BILLING_ENVIRONMENTS).optional(),
  })
  .refine(
    (q) =>
      q.month !== undefined
        ? q.from === undefined && q.to === undefined
        : q.from !== undefined && q.to !== undefined,
    {
      message: 'give either `month` (YYYY-MM) or both `from` and `to`',
      path: ['month'],
    },
  )
  .refine((q) => q.month !== undefined || q.from! <= q.to!, FROM_NOT_AFTER_TO.issue)
  .transform((q) => ({
    organizationId: q.organizationId,
    ...(q.environment !== undefined ? { environment: q.environment } : {}),
    ...(q.month !== undefined
      ? { month: q.month, ...monthPeriod(q.month) }
      : { from: q.from!, to: q.to! }),
  }))

const Nullable = z.string().nullable()

/** A usage event on the admin wire (usageEventJson): camelCase, money as strings of micros. */
export const UsageEventResponse = z.object({
  object: z.literal('usage_event'),
  usageId: z.string(),
  requestId: z.string(),
  createdAt: WireTimestamp,
  startedAt: WireTimestamp,
  organizationId: z.string(),
  keyId: z.string(),
  keyLabel: z.string(),
  environment: z.string(),
  endpoint: z.string(),
  modelRequested: Nullable,
  modelServed: Nullable,
  provider: Nullable,
  providerAccountId: Nullable,
  routePolicyScope: Nullable,
  routePolicyVersion: Nullable,
  route: Nullable,
  fallbackReason: Nullable,
  downgradeReason: Nullable,
  budgetPolicyId: Nullable,
  budgetPolicyVersion: z.number().int().nullable(),
  budgetDecision: Nullable,
  budgetReason: Nullable,
  priceTableVersion: Nullable,
  promptTokens: z.number().int(),
  cachedTokens: z.number().int(),
  completionTokens: z.number().int(),
  reasoningTokens: z.number().int(),
  promptTokensSource: z.enum(TOKEN_SOURCES),
  completionTokensSource: z.enum(TOKEN_SOURCES),
  costMicros: MicrosString,
  heldMicros: MicrosString,
  waivedMicros: MicrosString,
  refundedMicros: MicrosString,
  refundState: z.enum(REFUND_STATES),
  ledgerEntryId: Nullable,
  settlementOutcome: Nullable,
  settlementRule: Nullable,
  httpStatus: z.number().int(),
  upstreamStatus: z.number().int().nullable(),
  errorCode: Nullable,
  attempts: z.number().int(),
  attemptsJson: Nullable,
  latencyMs: z.number(),
  upstreamTtfbMs: z.number().nullable(),
  stream: z.boolean(),
  streamOutcome: Nullable,
  chunksDelivered: z.number().int().nullable(),
})

export const UsageEventPageResponse = z.object({
  object: z.literal('list'),
  data: z.array(UsageEventResponse),
  hasMore: z.boolean(),
  nextCursor: z.string().nullable(),
})

/** Sums of a group (or of everything): counts and money as decimal strings. */
const UsageTotalsResponse = z.object({
  requests: CountString,
  promptTokens: CountString,
  cachedTokens: CountString,
  completionTokens: CountString,
  reasoningTokens: CountString,
  costMicros: MicrosString,
  refundedMicros: MicrosString,
  waivedMicros: MicrosString,
})

export const UsageAggregatesResponse = z.object({
  object: z.literal('usage_aggregates'),
  groupBy: z.enum(USAGE_GROUPINGS),
  data: z.array(
    UsageTotalsResponse.extend({
      day: Nullable,
      modelRequested: Nullable,
      modelServed: Nullable,
      keyId: Nullable,
      keyLabel: Nullable,
    }),
  ),
  totals: UsageTotalsResponse,
})
