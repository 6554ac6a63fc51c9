import type { AuditContext, AuditLog } from '../audit/index.js'
import { findOrganizationById, OrganizationNotFoundError } from '../organizations/index.js'
import type { Db } from '../storage/index.js'
import { usageCsvHeader, usageEventCsvLine } from './usage-csv.js'
import type { UsageEvent } from './usage-event.js'
import {
  encodeUsageCursor,
  type UsageAggregate,
  type UsageCursor,
  type UsageFilter,
  type UsageGrouping,
  type UsageTotals,
} from './usage-query.js'
import {
  aggregateUsageEvents,
  findUsageEventsPage,
  iterateUsageEvents,
  sumUsageEvents,
} from './usage.repository.js'

export interface UsageServiceDeps {
  db: Db
  auditLog: AuditLog
  /** The deployment's currency (`billing.currency`), named in every export row. */
  currency: string
  /** Rows read per page while exporting. @default 1000 */
  exportPageSize?: number
}

/** A page of usage events, newest first. */
export interface UsagePage {
  data: UsageEvent[]
  hasMore: boolean
  /** Pass back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null
}

/** What a usage CSV export covers: one organization, a period, optionally one environment. */
export interface UsageExportRequest {
  organizationId: string
  /** [from, to) on created_at, ISO timestamps. */
  from: string
  to: string
  /** `YYYY-MM` when the period is a calendar month (named in the file and the audit event). */
  month?: string
  environment?: string
}

/** A started export: its audit event is recorded; `lines` streams the file. */
export interface UsageExport {
  filename: string
  /** Rows the period held when the export started (the audit event records the same count). */
  rows: bigint
  /** Sums over the period at the start (cost_micros reconciles with the ledger). */
  totals: UsageTotals
  /** The header line, then one line per event, oldest first; read page by page. */
  lines: AsyncIterable<string>
}

/**
 * Usage reads: keyset pages with filters, aggregates, totals, and the CSV export — an audited
 * data-access action (`export.usage_csv`) recorded before the first byte, streamed in pages so
 * memory stays constant whatever the number of rows.
 */
export function createUsageService(deps: UsageServiceDeps) {
  const { db, auditLog, currency } = deps
  const pageSize = deps.exportPageSize ?? 1000

  async function* exportLines(filter: UsageFilter): AsyncGenerator<string> {
    yield usageCsvHeader()
    // Lines leave in chunks of a few hundred: one write per row would cost more than the row.
    let chunk: string[] = []
    for await (const event of iterateUsageEvents(db, { filter, pageSize })) {
      chunk.push(usageEventCsvLine(event, currency))
      if (chunk.length >= 250) {
        yield chunk.join('')
        chunk = []
      }
    }
    if (chunk.length > 0) yield chunk.join('')
  }

  return {
    /** A page of events matching `filter`, newest first, after `after` (keyset). */
    listEvents: async (query: {
      filter: UsageFilter
      after?: UsageCursor
      limit: number
    }): Promise<UsagePage> => {
      const rows = await findUsageEventsPage(db, { ...query, limit: query.limit + 1 })
      const data = rows.slice(0, query.limit)
      const hasMore = rows.length > query.limit
      const last = data[data.length - 1]
      return {
        data,
        hasMore,
        nextCursor:
          hasMore && last
            ? encodeUsageCursor({ createdAt: last.createdAt, usageId: last.usageId })
            : null,
      }
    },

    /** Sums over every event matching `filter`. */
    totals: (filter: UsageFilter): Promise<UsageTotals> => sumUsageEvents(db, filter),

    /** Sums per day, served model, requested → served pair, or key; and the overall totals. */
    aggregate: async (query: {
      filter: UsageFilter
      groupBy: UsageGrouping
    }): Promise<{ groups: UsageAggregate[]; totals: UsageTotals }> => {
      const [groups, totals] = await Promise.all([
        aggregateUsageEvents(db, query),
        sumUsageEvents(db, query.filter),
      ])
      return { groups, totals }
    },

    /**
     * Start a CSV export of one organization's period: checks the organization, records
     * `export.usage_csv` (filters, period, row count) and only then returns the lines to stream.
     */
    startExport: async (audit: AuditContext, request: UsageExportRequest): Promise<UsageExport> => {
      if (!(await findOrganizationById(db, request.organizationId)))
        throw new OrganizationNotFoundError(request.organizationId)
      const filter: UsageFilter = {
        organizationId: request.organizationId,
        from: request.from,
        to: request.to,
        ...(request.environment !== undefined ? { environment: request.environment } : {}),
      }
      const totals = await sumUsageEvents(db, filter)
      const period = request.month ?? `${request.from}/${request.to}`
      const environment = request.environment ?? 'all'
      await auditLog.record(audit, {
        action: 'export.usage_csv',
        organizationId: request.organizationId,
        target: {
          type: 'export',
          id: `usage:${request.organizationId}:${environment}:${period}`,
        },
        after: {
          kind: 'usage_csv',
          format: 'csv',
          period,
          filters: {
            organizationId: request.organizationId,
            environment,
            from: request.from,
            to: request.to,
          },
          rows: Number(totals.requests),
        },
      })
      const stamp = request.month ?? `${request.from.slice(0, 10)}_${request.to.slice(0, 10)}`
      return {
        filename: `ferry-usage-${request.organizationId}-${environment}-${stamp}.csv`,
        rows: totals.requests,
        totals,
        lines: exportLines(filter),
      }
    },
  }
}

export type UsageService = ReturnType<typeof createUsageService>
