import { z } from 'zod'
import {
  MarkupBpsSchema,
  PriceRowsSchema,
  priceRowToJson,
  type PriceCoverage,
  type PriceTableVersion,
} from '../../pricing/index.js'
import { MicrosString, Timestamp, listPageResponse } from './wire.schemas.js'

export const PriceTableVersionParams = z.strictObject({
  version: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
})

export const OrganizationPriceParams = z.strictObject({
  organizationId: z.string().regex(/^org_[0-9a-z]{26}$/, 'must be an organization id (org_…)'),
})

export const OrganizationPriceVersionParams = OrganizationPriceParams.extend(
  PriceTableVersionParams.shape,
)

export const ListPriceTablesQuery = z.strictObject({
  /** The version of the last item of the previous page. */
  after: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
})

const Note = z.string().trim().min(1).max(500)

export const PublishPriceTableBody = z.strictObject({
  rows: PriceRowsSchema,
  note: Note.optional(),
})

export const PublishPriceOverrideBody = z
  .strictObject({
    rows: PriceRowsSchema.default([]),
    markupBps: MarkupBpsSchema.default(0),
    note: Note.optional(),
  })
  .refine((body) => body.rows.length > 0 || body.markupBps !== 0 || body.note !== undefined, {
    message: 'give rows, a markupBps, or (to clear an override) a note',
  })

/** A version as the admin API shows it: prices as decimal strings of micros per 1M tokens. */
export function toPriceTableResponse(version: PriceTableVersion) {
  return {
    object: 'price_table',
    priceTableId: version.priceTableId,
    scope: version.scope,
    organizationId: version.organizationId,
    version: version.version,
    contentHash: version.contentHash,
    markupBps: version.content.markupBps,
    rows: version.content.rows.map(priceRowToJson),
    note: version.note,
    createdBy: version.createdBy,
    createdAt: version.createdAt,
  }
}

export function toCoverageResponse(coverage: PriceCoverage) {
  return {
    object: 'price_coverage',
    priceTableVersion: coverage.priceTableVersion,
    missing: coverage.models.filter((m) => !m.priced).map((m) => m.target),
    models: coverage.models.map((m) => ({ ...m.target, priced: m.priced, free: m.free })),
  }
}

/** Which provider a row prices: one account, every account of a kind, or (neither) any. */
const PriceRowSelector = {
  providerAccount: z.string().optional(),
  providerKind: z.string().optional(),
  /** An exact upstream model name, or a prefix ending in `*`. */
  model: z.string(),
}

/** A row as priceRowToJson writes it: a deliberate zero price, or prices per 1M tokens. */
const PriceRowResponse = z.union([
  z.object({ ...PriceRowSelector, free: z.literal(true) }),
  z.object({
    ...PriceRowSelector,
    inputMicrosPer1M: MicrosString,
    /** Absent: cached input is billed as input. */
    cachedInputMicrosPer1M: MicrosString.optional(),
    outputMicrosPer1M: MicrosString,
    /** Absent: reasoning is billed as output. */
    reasoningMicrosPer1M: MicrosString.optional(),
  }),
])

/** A version of the base table or of an organization's override (toPriceTableResponse). */
export const PriceTableResponse = z.object({
  object: z.literal('price_table'),
  priceTableId: z.string(),
  scope: z.enum(['platform', 'organization']),
  /** Null for the base (platform) table. */
  organizationId: z.string().nullable(),
  version: z.number().int(),
  contentHash: z.string(),
  /** Overrides: basis points on the base price of every model without a row here; 0 otherwise. */
  markupBps: z.number().int(),
  rows: z.array(PriceRowResponse),
  note: z.string().nullable(),
  createdBy: z.string(),
  createdAt: Timestamp,
})

export const PriceTableListResponse = listPageResponse(PriceTableResponse)

/** A served (account, upstream model): what a price row is looked up by. */
const PriceTargetResponse = z.object({
  providerAccount: z.string(),
  providerKind: z.string(),
  model: z.string(),
})

export const PriceCoverageResponse = z.object({
  object: z.literal('price_coverage'),
  /** The base table in force; null while none was published. */
  priceTableVersion: z.number().int().nullable(),
  /** The served models the base table does not price. */
  missing: z.array(PriceTargetResponse),
  models: z.array(PriceTargetResponse.extend({ priced: z.boolean(), free: z.boolean() })),
})
