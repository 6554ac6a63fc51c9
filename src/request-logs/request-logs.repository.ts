import type { Selectable } from 'kysely'
import type { Db } from '../storage/index.js'
import type { RequestLog, RequestLogSettings } from './request-log.js'
import type { RequestLogSettingsTable, RequestLogsTable } from './request-logs.table.js'

export type RequestLogRow = Selectable<RequestLogsTable>

// SQLite with safe integers returns INTEGER as bigint; PostgreSQL returns int4 as number.
const int = (v: number | bigint): number => Number(v)

function rowToSettings(row: Selectable<RequestLogSettingsTable>): RequestLogSettings {
  return {
    organizationId: row.organization_id,
    captureEnabled: int(row.capture_enabled) === 1,
    retentionDays: int(row.retention_days),
    updatedAt: row.updated_at,
  }
}

export function rowToRequestLog(row: RequestLogRow): RequestLog {
  return {
    requestId: row.request_id,
    organizationId: row.organization_id,
    endpoint: row.endpoint,
    createdAt: row.created_at,
    request: JSON.parse(row.request_json) as unknown,
    response: row.response_json === null ? null : (JSON.parse(row.response_json) as unknown),
    maskedCount: int(row.masked_count),
    truncated: int(row.truncated) === 1,
  }
}

export async function findRequestLogSettings(
  db: Db,
  organizationId: string,
): Promise<RequestLogSettings | undefined> {
  const row = await db
    .selectFrom('request_log_settings')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .executeTakeFirst()
  return row ? rowToSettings(row) : undefined
}

/** Every stored setting (one row per organization that ever opted in): the purge walks these. */
export async function findAllRequestLogSettings(db: Db): Promise<RequestLogSettings[]> {
  const rows = await db.selectFrom('request_log_settings').selectAll().execute()
  return rows.map(rowToSettings)
}

export async function upsertRequestLogSettings(
  db: Db,
  settings: RequestLogSettings & { updatedAt: string },
): Promise<void> {
  const row = {
    organization_id: settings.organizationId,
    capture_enabled: settings.captureEnabled ? 1 : 0,
    retention_days: settings.retentionDays,
    updated_at: settings.updatedAt,
  }
  await db
    .insertInto('request_log_settings')
    .values(row)
    .onConflict((oc) =>
      oc.column('organization_id').doUpdateSet({
        capture_enabled: row.capture_enabled,
        retention_days: row.retention_days,
        updated_at: row.updated_at,
      }),
    )
    .execute()
}

/** Of `organizationIds`, those capturing content now (the writer re-checks before each batch). */
export async function findCapturingOrganizations(
  db: Db,
  organizationIds: readonly string[],
): Promise<Set<string>> {
  if (organizationIds.length === 0) return new Set()
  const rows = await db
    .selectFrom('request_log_settings')
    .select('organization_id')
    .where('organization_id', 'in', organizationIds)
    .where('capture_enabled', '=', 1)
    .execute()
  return new Set(rows.map((r) => r.organization_id))
}

/** Insert captured rows; a request ID already stored keeps its first capture. */
export async function insertRequestLogs(db: Db, rows: readonly RequestLogsTable[]): Promise<void> {
  // 8 columns a row: 500 rows stay far below SQLite's 32,766 bound variables.
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('request_logs')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.column('request_id').doNothing())
      .execute()
}

export async function findRequestLogRow(
  db: Db,
  requestId: string,
): Promise<RequestLogRow | undefined> {
  return db
    .selectFrom('request_logs')
    .selectAll()
    .where('request_id', '=', requestId)
    .executeTakeFirst()
}

/**
 * One page of an organization's logs in (created_at, request_id) order after `after`, within
 * [from, to): the export walks these pages so memory stays bounded.
 */
export async function findRequestLogPage(
  db: Db,
  options: {
    organizationId: string
    from?: string | undefined
    to?: string | undefined
    after?: { createdAt: string; requestId: string } | undefined
    limit: number
  },
): Promise<RequestLogRow[]> {
  let query = db
    .selectFrom('request_logs')
    .selectAll()
    .where('organization_id', '=', options.organizationId)
  if (options.from) query = query.where('created_at', '>=', options.from)
  if (options.to) query = query.where('created_at', '<', options.to)
  const after = options.after
  if (after)
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '>', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('request_id', '>', after.requestId)]),
      ]),
    )
  return query.orderBy('created_at').orderBy('request_id').limit(options.limit).execute()
}

/** Delete an organization's logs captured before `cutoff`; returns how many went. */
export async function deleteRequestLogsBefore(
  db: Db,
  options: { organizationId: string; cutoff: string },
): Promise<number> {
  const result = await db
    .deleteFrom('request_logs')
    .where('organization_id', '=', options.organizationId)
    .where('created_at', '<', options.cutoff)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
