/**
 * Request logs: metadata by default (the usage event); prompt and completion capture only for
 * organizations that opt in, masked before storage, with their own retention, permissions and
 * audited reads and exports. See docs/request-logs.md.
 */
export type {
  RequestLogSettingsTable,
  RequestLogsTable,
  RequestLogTables,
} from './request-logs.table.js'
export {
  DEFAULT_RETENTION_DAYS,
  MAX_RETENTION_DAYS,
  MIN_RETENTION_DAYS,
  defaultRequestLogSettings,
  type RequestCapture,
  type RequestLog,
  type RequestLogSettings,
} from './request-log.js'
export {
  MASK_KINDS,
  maskJson,
  maskMarker,
  maskSecrets,
  passesLuhn,
  type MaskKind,
} from './mask-secrets.js'
export { RequestLogNotFoundError } from './request-log-errors.js'
export {
  createRequestLogWriter,
  type RequestLogWriter,
  type RequestLogWriterOptions,
  type RequestLogWriterStats,
} from './request-log-writer.js'
export {
  RETENTION_ACTOR_ID,
  createRequestLogsService,
  requestLogJson,
  usageLogJson,
  type RequestLogExportFilters,
  type RequestLogPurge,
  type RequestLogsService,
} from './request-logs.service.js'
export { startRequestLogPurgeJob, type RequestLogPurgeJob } from './request-log-purge-job.js'
