import { AdminDownload } from './admin-download.js'
import { adminRoute, type AdminRoute } from './admin-route.js'
import { EXPORT_ID_HEADER } from './audit.routes.js'
import { OrganizationIdParams } from './orgs.schemas.js'
import {
  ExportRequestLogsQuery,
  RequestIdParams,
  RequestLogResponse,
  RequestLoggingBody,
  RequestLoggingResponse,
  requestLogSettingsJson,
  requestLogViewJson,
} from './request-logs.schemas.js'

export const getRequestLoggingRoute = adminRoute({
  method: 'GET',
  url: '/orgs/:organizationId/request-logging',
  summary: "An organization's request logging: metadata only, or content captured too",
  permission: 'orgs.read',
  readOnly: true,
  params: OrganizationIdParams,
  response: RequestLoggingResponse,
  handler: async ({ params, services }) =>
    requestLogSettingsJson(await services.requestLogs.getSettings(params.organizationId)),
})

export const putRequestLoggingRoute = adminRoute({
  method: 'PUT',
  url: '/orgs/:organizationId/request-logging',
  summary:
    'Opt an organization in or out of prompt and completion capture, and set its retention (reason required)',
  permission: 'settings.write',
  action: 'request_log.capture_update',
  params: OrganizationIdParams,
  body: RequestLoggingBody,
  response: RequestLoggingResponse,
  handler: async ({ params, body, services, audit }) =>
    requestLogSettingsJson(
      await services.requestLogs.updateSettings(audit, params.organizationId, {
        captureEnabled: body.captureEnabled,
        retentionDays: body.retentionDays,
      }),
    ),
})

export const exportRequestLogsRoute = adminRoute({
  method: 'GET',
  url: '/request-logs/export',
  summary:
    "Download an organization's captured prompts and completions as NDJSON (reason required; records export.prompt_audit)",
  permission: 'prompts.export',
  readOnly: true,
  records: 'export.prompt_audit',
  query: ExportRequestLogsQuery,
  handler: async ({ query, services, audit }) => {
    const { exportId, lines } = await services.requestLogs.startExport(audit, {
      organizationId: query.organizationId,
      from: query.from,
      to: query.to,
    })
    return new AdminDownload({
      contentType: 'application/x-ndjson; charset=utf-8',
      filename: `ferry-request-logs-${exportId}.ndjson`,
      headers: { [EXPORT_ID_HEADER]: exportId },
      body: lines,
    })
  },
})

export const exportRequestLogMetadataRoute = adminRoute({
  method: 'GET',
  url: '/request-logs/metadata-export',
  summary:
    "Download an organization's request metadata (usage events, no content) as NDJSON; records export.logs",
  permission: 'usage.export',
  readOnly: true,
  records: 'export.logs',
  query: ExportRequestLogsQuery,
  handler: async ({ query, services, audit }) => {
    const { exportId, lines } = await services.requestLogs.startMetadataExport(audit, {
      organizationId: query.organizationId,
      from: query.from,
      to: query.to,
    })
    return new AdminDownload({
      contentType: 'application/x-ndjson; charset=utf-8',
      filename: `ferry-request-metadata-${exportId}.ndjson`,
      headers: { [EXPORT_ID_HEADER]: exportId },
      body: lines,
    })
  },
})

export const getRequestLogRoute = adminRoute({
  method: 'GET',
  url: '/request-logs/:requestId',
  summary:
    "One request's captured prompt and completion, with its usage (records request_log.view)",
  permission: 'prompts.read',
  readOnly: true,
  records: 'request_log.view',
  params: RequestIdParams,
  response: RequestLogResponse,
  handler: async ({ params, services, audit }) =>
    requestLogViewJson(await services.requestLogs.getLog(audit, params.requestId)),
})

export const REQUEST_LOG_ROUTES: readonly AdminRoute[] = [
  getRequestLoggingRoute,
  putRequestLoggingRoute,
  exportRequestLogsRoute,
  exportRequestLogMetadataRoute,
  getRequestLogRoute,
]
