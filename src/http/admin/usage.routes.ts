import { PermissionDeniedError } from '../../admins/index.js'
import {
  USAGE_EXPORT_VERSION,
  type UsageAggregate,
  type UsageEvent,
  type UsageTotals,
} from '../../usage/index.js'
import { AdminDownload } from './admin-download.js'
import { adminRoute, type AdminRoute, type AdminRouteContext } from './admin-route.js'
import {
  ExportUsageQuery,
  ListUsageQuery,
  UsageAggregatesQuery,
  UsageAggregatesResponse,
  UsageEventPageResponse,
  toUsageFilter,
} from './usage.schemas.js'

/** The response header naming the export's schema version (docs/usage-export.md). */
export const USAGE_EXPORT_VERSION_HEADER = 'x-ferry-usage-export-version'

/**
 * The organization a usage read may cover. Inside a support session an admin works in that one
 * organization: an omitted `organizationId` means it, another one is refused (403).
 */
function scopedOrganization(
  ctx: Pick<AdminRouteContext<unknown, unknown, unknown>, 'supportSession'>,
  organizationId: string | undefined,
): string | undefined {
  const session = ctx.supportSession
  if (session === null) return organizationId
  if (organizationId !== undefined && organizationId !== session.organizationId)
    throw new PermissionDeniedError(
      `A support session on '${session.organizationId}' reads only that organization's usage.`,
    )
  return session.organizationId
}

/** Money and counts leave as decimal strings (JSON numbers would round them). */
function totalsJson(totals: UsageTotals) {
  return {
    requests: totals.requests.toString(),
    promptTokens: totals.promptTokens.toString(),
    cachedTokens: totals.cachedTokens.toString(),
    completionTokens: totals.completionTokens.toString(),
    reasoningTokens: totals.reasoningTokens.toString(),
    costMicros: totals.costMicros.toString(),
    refundedMicros: totals.refundedMicros.toString(),
    waivedMicros: totals.waivedMicros.toString(),
  }
}

function aggregateJson(group: UsageAggregate) {
  return {
    day: group.day,
    modelRequested: group.modelRequested,
    modelServed: group.modelServed,
    keyId: group.keyId,
    keyLabel: group.keyLabel,
    ...totalsJson(group),
  }
}

/** A usage event on the admin wire: camelCase, money as strings of micros. */
export function usageEventJson(event: UsageEvent) {
  return {
    object: 'usage_event' as const,
    ...event,
    costMicros: event.costMicros.toString(),
    heldMicros: event.heldMicros.toString(),
    waivedMicros: event.waivedMicros.toString(),
    refundedMicros: event.refundedMicros.toString(),
  }
}

export const listUsageRoute = adminRoute({
  method: 'GET',
  url: '/usage',
  summary: 'Usage events, newest first, with filters and a cursor (one per /v1 request)',
  permission: 'usage.read',
  readOnly: true,
  query: ListUsageQuery,
  response: UsageEventPageResponse,
  handler: async (ctx) => {
    const { cursor, limit, ...fields } = ctx.query
    const organizationId = scopedOrganization(ctx, fields.organizationId)
    const page = await ctx.services.usage.listEvents({
      filter: toUsageFilter({ ...fields, organizationId }),
      limit,
      ...(cursor ? { after: cursor } : {}),
    })
    return {
      object: 'list',
      data: page.data.map(usageEventJson),
      hasMore: page.hasMore,
      nextCursor: page.nextCursor,
    }
  },
})

export const aggregateUsageRoute = adminRoute({
  method: 'GET',
  url: '/usage/aggregates',
  summary:
    'Usage sums (requests, tokens, cost, refunded) by day, served model, requested → served model or key',
  permission: 'usage.read',
  readOnly: true,
  query: UsageAggregatesQuery,
  response: UsageAggregatesResponse,
  handler: async (ctx) => {
    const { groupBy, ...fields } = ctx.query
    const organizationId = scopedOrganization(ctx, fields.organizationId)
    const { groups, totals } = await ctx.services.usage.aggregate({
      filter: toUsageFilter({ ...fields, organizationId }),
      groupBy,
    })
    return {
      object: 'usage_aggregates',
      groupBy,
      data: groups.map(aggregateJson),
      totals: totalsJson(totals),
    }
  },
})

export const exportUsageRoute = adminRoute({
  method: 'GET',
  url: '/usage/export',
  summary:
    "Download one organization's usage events of a month (or period) as CSV, streamed (schema v1, docs/usage-export.md); records export.usage_csv",
  permission: 'usage.export',
  readOnly: true,
  records: 'export.usage_csv',
  query: ExportUsageQuery,
  handler: async (ctx) => {
    const organizationId = scopedOrganization(ctx, ctx.query.organizationId)!
    const started = await ctx.services.usage.startExport(ctx.audit, {
      ...ctx.query,
      organizationId,
    })
    return new AdminDownload({
      contentType: 'text/csv; charset=utf-8; header=present',
      filename: started.filename,
      headers: {
        [USAGE_EXPORT_VERSION_HEADER]: USAGE_EXPORT_VERSION,
        'x-ferry-usage-export-rows': started.rows.toString(),
      },
      body: started.lines,
    })
  },
})

export const USAGE_ROUTES: readonly AdminRoute[] = [
  listUsageRoute,
  aggregateUsageRoute,
  exportUsageRoute,
]
