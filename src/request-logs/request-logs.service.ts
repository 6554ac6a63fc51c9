import type { AuditContext, AuditLog } from '../audit/index.js'
import type { CacheInvalidation } from '../invalidation/index.js'
import { publishAfterCommit } from '../invalidation/index.js'
import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { findOrganizationById, OrganizationNotFoundError } from '../organizations/index.js'
import type { Db } from '../storage/index.js'
import { findUsageEventsOfRequest, iterateUsageEvents, type UsageEvent } from '../usage/index.js'
import {
  DAY_MS,
  defaultRequestLogSettings,
  requestLogSettingsDiff,
  type RequestLog,
  type RequestLogSettings,
} from './request-log.js'
import { RequestLogNotFoundError } from './request-log-errors.js'
import {
  deleteRequestLogsBefore,
  findAllRequestLogSettings,
  findRequestLogPage,
  findRequestLogRow,
  findRequestLogSettings,
  rowToRequestLog,
  upsertRequestLogSettings,
} from './request-logs.repository.js'

/** The system actor of the retention job (DESIGN: system actors name the job). */
export const RETENTION_ACTOR_ID = 'system:request_log:retention'

export interface RequestLogsServiceDeps {
  db: Db
  auditLog: AuditLog
  clock: Clock
  invalidation: Pick<CacheInvalidation, 'publish'>
}

export interface RequestLogExportFilters {
  organizationId: string
  /** ISO timestamp, inclusive. */
  from?: string | undefined
  /** ISO timestamp, exclusive. */
  to?: string | undefined
}

/** One organization's purge: how many rows older than `cutoff` went. */
export interface RequestLogPurge {
  organizationId: string
  retentionDays: number
  cutoff: string
  purged: number
}

/** Thrown inside the purge transaction to roll back its event when nothing was deleted. */
class NothingPurged extends Error {}

const EXPORT_PAGE = 500

/**
 * Request log governance: each organization's opt-in (an audited, high-risk change, felt by
 * every instance's key cache), audited reads and exports of captured content, and the
 * retention purge (a system actor, one event per organization with rows purged).
 */
export function createRequestLogsService(deps: RequestLogsServiceDeps) {
  const { db, auditLog, clock } = deps

  async function mustFindOrganization(organizationId: string, reader: Db = db) {
    const org = await findOrganizationById(reader, organizationId)
    if (!org) throw new OrganizationNotFoundError(organizationId)
    return org
  }

  async function settingsOf(organizationId: string, reader: Db = db) {
    return (
      (await findRequestLogSettings(reader, organizationId)) ??
      defaultRequestLogSettings(organizationId)
    )
  }

  async function* exportLines(filters: RequestLogExportFilters): AsyncGenerator<string> {
    let after: { createdAt: string; requestId: string } | undefined
    for (;;) {
      const rows = await findRequestLogPage(db, { ...filters, after, limit: EXPORT_PAGE })
      for (const row of rows) yield `${JSON.stringify(requestLogJson(rowToRequestLog(row)))}\n`
      const last = rows[rows.length - 1]
      if (!last || rows.length < EXPORT_PAGE) return
      after = { createdAt: last.created_at, requestId: last.request_id }
    }
  }

  /** Commit an export's audit event (before its first line leaves); returns the export's ID. */
  async function recordExport(
    context: AuditContext,
    spec: {
      action: 'export.prompt_audit' | 'export.logs'
      kind: string
      filters: RequestLogExportFilters
    },
  ): Promise<string> {
    const { filters } = spec
    const exportId = newId('rlx', clock.nowMs())
    await auditLog.run(context, spec.action, async (tx) => {
      const org = await mustFindOrganization(filters.organizationId, tx)
      return {
        result: undefined,
        event: {
          organizationId: filters.organizationId,
          target: { type: 'export', id: exportId, label: org.name },
          after: {
            kind: spec.kind,
            format: 'ndjson',
            filters: { from: filters.from ?? null, to: filters.to ?? null },
          },
        },
      }
    })
    return exportId
  }

  async function* metadataLines(filters: RequestLogExportFilters): AsyncGenerator<string> {
    const events = iterateUsageEvents(db, {
      filter: {
        organizationId: filters.organizationId,
        ...(filters.from ? { from: filters.from } : {}),
        ...(filters.to ? { to: filters.to } : {}),
      },
      pageSize: EXPORT_PAGE,
    })
    for await (const event of events) yield `${JSON.stringify(usageLogJson(event))}\n`
  }

  async function purgeOrganization(settings: RequestLogSettings): Promise<RequestLogPurge> {
    const nowMs = clock.nowMs()
    const cutoff = toIsoTimestamp(nowMs - settings.retentionDays * DAY_MS)
    const base = {
      organizationId: settings.organizationId,
      retentionDays: settings.retentionDays,
      cutoff,
    }
    const context: AuditContext = {
      actor: { type: 'system', id: RETENTION_ACTOR_ID, role: null },
      ip: null,
      userAgent: null,
      requestId: null,
    }
    try {
      return await auditLog.run(context, 'request_log.retention_purge', async (tx) => {
        const purged = await deleteRequestLogsBefore(tx, {
          organizationId: settings.organizationId,
          cutoff,
        })
        if (purged === 0) throw new NothingPurged()
        return {
          result: { ...base, purged },
          event: {
            organizationId: settings.organizationId,
            target: { type: 'request_log', id: settings.organizationId, label: null },
            after: { retentionDays: settings.retentionDays, cutoff, rows: purged },
          },
        }
      })
    } catch (err) {
      if (err instanceof NothingPurged) return { ...base, purged: 0 }
      throw err
    }
  }

  return {
    /** The organization's setting (the default, metadata only, if it never opted in). */
    getSettings: async (organizationId: string): Promise<RequestLogSettings> => {
      await mustFindOrganization(organizationId)
      return settingsOf(organizationId)
    },

    /**
     * Opt an organization in or out of content capture, and set its retention: one
     * `request_log.capture_update` event (high risk: a reason is required) with the diff. Every
     * instance's key cache drops the organization's keys after commit, so the request path
     * sees the change within the invalidation delay.
     */
    updateSettings: (
      context: AuditContext,
      organizationId: string,
      change: { captureEnabled: boolean; retentionDays?: number | undefined },
    ): Promise<RequestLogSettings> =>
      publishAfterCommit(deps.invalidation, (invalidate) =>
        auditLog.run(context, 'request_log.capture_update', async (tx) => {
          const org = await mustFindOrganization(organizationId, tx)
          const before = await settingsOf(organizationId, tx)
          const after: RequestLogSettings = {
            organizationId,
            captureEnabled: change.captureEnabled,
            retentionDays: change.retentionDays ?? before.retentionDays,
            updatedAt: toIsoTimestamp(clock.nowMs()),
          }
          await upsertRequestLogSettings(tx, { ...after, updatedAt: after.updatedAt! })
          // The capture flag is cached with the keys (AuthenticatedKey.requestLogCapture).
          invalidate({ kind: 'organization', id: organizationId })
          return {
            result: after,
            event: {
              organizationId,
              target: { type: 'request_log_settings', id: organizationId, label: org.name },
              before: requestLogSettingsDiff(before),
              after: requestLogSettingsDiff(after),
            },
          }
        }),
      ),

    /**
     * One request's captured content with its usage event, recorded as a prompt-level read
     * (`request_log.view`) before it is returned: no event, no content.
     */
    getLog: async (
      context: AuditContext,
      requestId: string,
    ): Promise<{ log: RequestLog; usage: UsageEvent | null }> => {
      const row = await findRequestLogRow(db, requestId)
      if (!row) throw new RequestLogNotFoundError(requestId)
      const log = rowToRequestLog(row)
      await auditLog.record(context, {
        action: 'request_log.view',
        organizationId: log.organizationId,
        target: { type: 'request_log', id: requestId, label: null },
        after: { endpoint: log.endpoint },
        evidence: { requestIds: [requestId] },
      })
      // The newest event under the ID (a client may reuse its own x-request-id).
      return { log, usage: (await findUsageEventsOfRequest(db, requestId)).at(-1) ?? null }
    },

    /**
     * Start a prompt audit export: the `export.prompt_audit` event (high risk, reason required)
     * commits first, then the lines stream: one JSON object per captured request, oldest
     * first, only what retention has kept.
     */
    startExport: async (
      context: AuditContext,
      filters: RequestLogExportFilters,
    ): Promise<{ exportId: string; lines: AsyncIterable<string> }> => {
      const exportId = await recordExport(context, {
        action: 'export.prompt_audit',
        kind: 'prompt_audit',
        filters,
      })
      return { exportId, lines: exportLines(filters) }
    },

    /**
     * Start a metadata-only log export (`export.logs`): the organization's usage events — who,
     * which models, tokens, cost, statuses — never content. Read from `usage_events`, so it
     * covers every request, captured or not. The event commits before the first line.
     */
    startMetadataExport: async (
      context: AuditContext,
      filters: RequestLogExportFilters,
    ): Promise<{ exportId: string; lines: AsyncIterable<string> }> => {
      const exportId = await recordExport(context, {
        action: 'export.logs',
        kind: 'request_log_metadata',
        filters,
      })
      return { exportId, lines: metadataLines(filters) }
    },

    /**
     * Delete, for every organization that ever opted in, the captured rows older than its
     * retention. Each organization's delete and its `request_log.retention_purge` event (system
     * actor, with the count) are one transaction; nothing purged, nothing recorded.
     */
    purgeExpired: async (): Promise<RequestLogPurge[]> => {
      const results: RequestLogPurge[] = []
      for (const settings of await findAllRequestLogSettings(db))
        results.push(await purgeOrganization(settings))
      return results
    },
  }
}

export type RequestLogsService = ReturnType<typeof createRequestLogsService>

/** The wire (and export line) shape of a request log. */
export function requestLogJson(log: RequestLog): Record<string, unknown> {
  return {
    object: 'request_log',
    request_id: log.requestId,
    organization_id: log.organizationId,
    endpoint: log.endpoint,
    created_at: log.createdAt,
    request: log.request,
    response: log.response,
    masked_count: log.maskedCount,
    truncated: log.truncated,
  }
}

/** A metadata export line: the usage event, amounts as decimal strings of micros. */
export function usageLogJson(usage: UsageEvent): Record<string, unknown> {
  return {
    object: 'request_log_metadata',
    ...(JSON.parse(
      JSON.stringify(usage, (_key, value: unknown) =>
        typeof value === 'bigint' ? value.toString() : value,
      ),
    ) as Record<string, unknown>),
  }
}
