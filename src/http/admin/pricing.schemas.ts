import { z } from 'zod'
import {
  MarkupBpsSchema,
  PriceRowsSchema,
  priceRowToJson,
  type PriceCoverage,
  type PriceTableVersion,
} from '../../pricing/index.js'

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
