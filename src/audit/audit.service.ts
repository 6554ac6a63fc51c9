import type { Clock } from '../lib/clock.js'
import { toIsoTimestamp } from '../lib/clock.js'
import { NotFoundError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { Db } from '../storage/index.js'
import type { AuditAction, AuditCategory } from './audit-actions.js'
import type { AuditCheckpointer } from './audit-checkpoints.service.js'
import type { AuditContext } from './audit-event.js'
import {
  exportAuditCsv,
  exportAuditJsonl,
  type AuditExportOptions,
  type ExportManifest,
} from './audit-export.js'
import { toAuditEventRecord, type AuditEventRecord } from './audit-row.js'
import type { AuditSigner } from './audit-signing.js'
import {
  completeAuditExport,
  findAuditEventById,
  findAuditEvents,
  findAuditExport,
  insertAuditExport,
} from './audit.repository.js'
import { canonicalJson } from './canonical-json.js'
import type { SignedCheckpoint } from './checkpoint.js'
import type { AuditLog } from './run-audited.js'
import { verifyAuditDatabase, type AuditVerification } from './verify-audit.js'

export const AUDIT_EXPORT_FORMATS = ['jsonl', 'csv'] as const
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number]

/** What a reader may filter the log by; every filter is optional, `limit` is not. */
export interface AuditEventQuery {
  organizationId?: string
  actorId?: string
  action?: AuditAction
  category?: AuditCategory
  targetType?: string
  targetId?: string
  requestId?: string
  /** Inclusive ISO bounds on created_at, in the stored form (`toISOString()`). */
  from?: string
  to?: string
  /** Continue after this event (newest first): the position a page cursor carries. */
  before?: { createdAt: string; auditEventId: string }
  limit: number
}

export interface AuditEventPage {
  /** Newest first. */
  data: AuditEventRecord[]
  hasMore: boolean
}

/** An export made through the admin API, with its signed manifest once it was generated. */
export interface AuditExportInfo {
  exportId: string
  format: AuditExportFormat
  filters: AuditExportOptions
  actorId: string
  requestId: string | null
  status: 'started' | 'completed'
  manifest: ExportManifest | null
  createdAt: string
  completedAt: string | null
}

/** The audit log as its readers use it: browse, export, checkpoint, verify. */
export interface AuditService {
  /**
   * One page of events, newest first. Records one `audit_log.view` event per call (a page is
   * a read of its own; the cursor in `after.filters` says which page).
   */
  listEvents(audit: AuditContext, query: AuditEventQuery): Promise<AuditEventPage>
  /** One event (404 if unknown); records an `audit_log.view` event. */
  getEvent(audit: AuditContext, auditEventId: string): Promise<AuditEventRecord>
  /**
   * Record the `audit_log.export` event and the export's row in one transaction, before the
   * first byte: an export nobody can see in the log never starts. `lines` then streams the
   * export in constant memory and stores the signed manifest when the last line is generated.
   */
  startExport(
    audit: AuditContext,
    request: { format: AuditExportFormat; filters: AuditExportOptions },
  ): Promise<{ exportId: string; lines: AsyncIterable<string> }>
  /** An export's state and signed manifest (404 if unknown). */
  getExport(exportId: string): Promise<AuditExportInfo>
  /** Sign a checkpoint of every chain now, audited (`audit_log.checkpoint`) in one transaction. */
  writeCheckpoints(audit: AuditContext): Promise<SignedCheckpoint[]>
  /** Verify the chains in the database against this signer's key; records `audit_log.verify`. */
  verify(audit: AuditContext, options?: { chainId?: string }): Promise<AuditVerification>
  /** The public half of the signing key: what verifiers pin. */
  readonly publicKey: { keyId: string; algorithm: 'Ed25519'; publicKey: string }
}

export function createAuditService(deps: {
  db: Db
  clock: Clock
  auditLog: AuditLog
  signer: AuditSigner
  checkpointer: AuditCheckpointer
}): AuditService {
  const { db, clock, auditLog, signer } = deps
  const now = () => toIsoTimestamp(clock.nowMs())

  async function* streamExport(options: {
    exportId: string
    format: AuditExportFormat
    filters: AuditExportOptions
  }): AsyncGenerator<string> {
    let manifest: ExportManifest | undefined
    const exportOptions = { ...options.filters, onManifest: (m: ExportManifest) => (manifest = m) }
    yield* options.format === 'csv'
      ? exportAuditCsv({ db, clock, signer }, exportOptions)
      : exportAuditJsonl({ db, clock, signer }, exportOptions)
    if (manifest) {
      await completeAuditExport(db, {
        exportId: options.exportId,
        manifestJson: canonicalJson(manifest),
        completedAt: now(),
      })
    }
  }

  return {
    listEvents: async (audit, query) => {
      const rows = await findAuditEvents(db, { ...query, limit: query.limit + 1 })
      const data = rows.slice(0, query.limit).map(toAuditEventRecord)
      await auditLog.record(audit, {
        action: 'audit_log.view',
        target: { type: 'audit_log', id: query.organizationId ?? 'all', label: null },
        after: { filters: query, rows: data.length },
      })
      return { data, hasMore: rows.length > query.limit }
    },

    getEvent: async (audit, auditEventId) => {
      const row = await findAuditEventById(db, auditEventId)
      if (!row) {
        throw new NotFoundError(`No audit event with id '${auditEventId}'.`, {
          param: 'audit_event_id',
        })
      }
      await auditLog.record(audit, {
        action: 'audit_log.view',
        target: { type: 'audit_log', id: row.organization_id ?? 'all', label: null },
        after: { filters: { auditEventId }, rows: 1 },
      })
      return toAuditEventRecord(row)
    },

    startExport: async (audit, request) => {
      const nowMs = clock.nowMs()
      const exportId = newId('aex', nowMs)
      const { format, filters } = request
      await auditLog.run(audit, 'audit_log.export', async (tx) => {
        await insertAuditExport(tx, {
          export_id: exportId,
          format,
          filters_json: canonicalJson(filters),
          actor_id: audit.actor.id,
          request_id: audit.requestId,
          status: 'started',
          manifest_json: null,
          created_at: toIsoTimestamp(nowMs),
          completed_at: null,
        })
        return {
          result: undefined,
          event: {
            target: { type: 'audit_log', id: filters.organizationId ?? 'all', label: format },
            after: { filters, format, exportId },
          },
        }
      })
      return { exportId, lines: streamExport({ exportId, format, filters }) }
    },

    getExport: async (exportId) => {
      const row = await findAuditExport(db, exportId)
      if (!row) {
        throw new NotFoundError(`No audit export with id '${exportId}'.`, { param: 'export_id' })
      }
      return {
        exportId: row.export_id,
        format: row.format as AuditExportFormat,
        filters: JSON.parse(row.filters_json) as AuditExportOptions,
        actorId: row.actor_id,
        requestId: row.request_id,
        status: row.status === 'completed' ? 'completed' : 'started',
        manifest:
          row.manifest_json === null ? null : (JSON.parse(row.manifest_json) as ExportManifest),
        createdAt: row.created_at,
        completedAt: row.completed_at,
      }
    },

    writeCheckpoints: (audit) =>
      auditLog.run(audit, 'audit_log.checkpoint', async (tx) => {
        const written = await deps.checkpointer.writeCheckpoints({ tx })
        return {
          result: written,
          event: {
            target: { type: 'audit_log', id: 'all', label: null },
            after: { chains: written.length },
          },
        }
      }),

    verify: async (audit, options = {}) => {
      const result = await verifyAuditDatabase(db, {
        trustedKeys: [signer.publicKey],
        ...(options.chainId !== undefined ? { chainId: options.chainId } : {}),
      })
      const first = result.firstProblem
      await auditLog.record(audit, {
        action: 'audit_log.verify',
        target: { type: 'audit_log', id: options.chainId ?? 'database', label: null },
        after: {
          ok: result.ok,
          chains: result.chains.length,
          rows: result.chains.reduce((n, chain) => n + chain.events, 0),
          firstProblem: first
            ? { chainId: first.chainId, sequence: String(first.sequence), message: first.message }
            : null,
        },
        outcome: result.ok ? 'success' : 'failure',
      })
      return result
    },

    publicKey: { keyId: signer.keyId, algorithm: 'Ed25519', publicKey: signer.publicKey },
  }
}
