import type { AuditExportOptions } from '../../audit/index.js'
import { AdminDownload } from './admin-download.js'
import { adminRoute, type AdminRoute } from './admin-route.js'
import {
  AuditCheckpointListResponse,
  AuditEventIdParams,
  AuditEventPageResponse,
  AuditEventResponse,
  AuditVerificationResponse,
  AuditExportIdParams,
  AuditExportResponse,
  AuditPublicKeyResponse,
  ExportAuditEventsQuery,
  ListAuditEventsQuery,
  VerifyAuditBody,
  auditEventJson,
  chainReportJson,
  encodeAuditCursor,
} from './audit.schemas.js'

/** The response header that names an export, whose signed manifest `/audit-exports/:id` serves. */
export const EXPORT_ID_HEADER = 'x-ferry-export-id'

const EXPORT_CONTENT_TYPES = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
} as const

export const listAuditEventsRoute = adminRoute({
  method: 'GET',
  url: '/audit-events',
  summary: 'Audit events, newest first, with filters and a cursor (records audit_log.view)',
  permission: 'audit.read',
  readOnly: true,
  records: 'audit_log.view',
  query: ListAuditEventsQuery,
  response: AuditEventPageResponse,
  handler: async ({ query, services, audit }) => {
    const page = await services.audit.listEvents(audit, {
      organizationId: query.organization_id,
      actorId: query.actor_id,
      action: query.action,
      category: query.category,
      targetType: query.target_type,
      targetId: query.target_id,
      requestId: query.request_id,
      from: query.from,
      to: query.to,
      before: query.cursor,
      limit: query.limit,
    })
    const last = page.data[page.data.length - 1]
    return {
      object: 'list',
      data: page.data.map(auditEventJson),
      has_more: page.hasMore,
      next_cursor:
        page.hasMore && last
          ? encodeAuditCursor({ createdAt: last.created_at, auditEventId: last.audit_event_id })
          : null,
    }
  },
})

export const exportAuditEventsRoute = adminRoute({
  method: 'GET',
  url: '/audit-events/export',
  summary:
    'Download the audit log as JSONL (signed manifest as the last line) or CSV (manifest at /audit-exports/{export_id}); records audit_log.export',
  permission: 'audit.export',
  readOnly: true,
  records: 'audit_log.export',
  query: ExportAuditEventsQuery,
  handler: async ({ query, services, audit }) => {
    const filters: AuditExportOptions = {
      organizationId: query.organization_id,
      from: query.from,
      to: query.to,
    }
    const { exportId, lines } = await services.audit.startExport(audit, {
      format: query.format,
      filters,
    })
    return new AdminDownload({
      contentType: EXPORT_CONTENT_TYPES[query.format],
      filename: `ferry-audit-${exportId}.${query.format}`,
      headers: { [EXPORT_ID_HEADER]: exportId },
      body: lines,
    })
  },
})

export const getAuditEventRoute = adminRoute({
  method: 'GET',
  url: '/audit-events/:audit_event_id',
  summary: 'One audit event (records audit_log.view)',
  permission: 'audit.read',
  readOnly: true,
  records: 'audit_log.view',
  params: AuditEventIdParams,
  response: AuditEventResponse,
  handler: async ({ params, services, audit }) =>
    auditEventJson(await services.audit.getEvent(audit, params.audit_event_id)),
})

export const getAuditExportRoute = adminRoute({
  method: 'GET',
  url: '/audit-exports/:export_id',
  summary: "An export's state and signed manifest (rows, SHA-256 of the file, Ed25519 signature)",
  permission: 'audit.export',
  readOnly: true,
  params: AuditExportIdParams,
  response: AuditExportResponse,
  handler: async ({ params, services }) => {
    const info = await services.audit.getExport(params.export_id)
    return {
      object: 'audit_export',
      export_id: info.exportId,
      format: info.format,
      filters: {
        organization_id: info.filters.organizationId ?? null,
        from: info.filters.from ?? null,
        to: info.filters.to ?? null,
      },
      status: info.status,
      actor_id: info.actorId,
      request_id: info.requestId,
      created_at: info.createdAt,
      completed_at: info.completedAt,
      manifest: info.manifest,
    }
  },
})

export const writeAuditCheckpointsRoute = adminRoute({
  method: 'POST',
  url: '/audit/checkpoints',
  summary: 'Sign a checkpoint of every audit chain now (also those where nothing happened)',
  permission: 'audit.export',
  action: 'audit_log.checkpoint',
  successStatus: 201,
  response: AuditCheckpointListResponse,
  handler: async ({ services, audit }) => {
    const written = await services.audit.writeCheckpoints(audit)
    return {
      object: 'list',
      data: written.map((checkpoint) => ({ object: 'audit_checkpoint', ...checkpoint })),
    }
  },
})

export const getAuditPublicKeyRoute = adminRoute({
  method: 'GET',
  url: '/audit/public-key',
  summary: 'The Ed25519 public key that signs checkpoints and export manifests (pin it)',
  permission: 'audit.read',
  readOnly: true,
  response: AuditPublicKeyResponse,
  handler: ({ services }) => {
    const { keyId, algorithm, publicKey } = services.audit.publicKey
    return Promise.resolve({ key_id: keyId, algorithm, public_key: publicKey })
  },
})

export const verifyAuditRoute = adminRoute({
  method: 'POST',
  url: '/audit/verify',
  summary: 'Verify the audit chains in the database against their signed checkpoints',
  permission: 'audit.read',
  action: 'audit_log.verify',
  body: VerifyAuditBody,
  response: AuditVerificationResponse,
  handler: async ({ body, services, audit }) => {
    const result = await services.audit.verify(audit, { chainId: body.chain_id })
    const first = result.firstProblem
    return {
      object: 'audit_verification',
      ok: result.ok,
      key_id: services.audit.publicKey.keyId,
      chains: result.chains.map(chainReportJson),
      first_problem: first
        ? { chain_id: first.chainId, sequence: String(first.sequence), message: first.message }
        : null,
    }
  },
})

export const AUDIT_ROUTES: readonly AdminRoute[] = [
  listAuditEventsRoute,
  exportAuditEventsRoute,
  getAuditEventRoute,
  getAuditExportRoute,
  writeAuditCheckpointsRoute,
  getAuditPublicKeyRoute,
  verifyAuditRoute,
]
