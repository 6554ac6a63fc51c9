export {
  AUDIT_ACTIONS,
  AUDIT_CATEGORIES,
  categoryOf,
  isAuditAction,
  isHighRisk,
} from './audit-actions.js'
export type { AuditAction, AuditCategory, AuditRisk } from './audit-actions.js'
export { ACTOR_TYPES, AUDIT_OUTCOMES } from './audit-event.js'
export type {
  ActorType,
  AuditContext,
  AuditEvent,
  AuditEventInput,
  AuditOutcome,
  AuditReason,
} from './audit-event.js'
export { AuditWriteFailedError, InvalidReasonError, ReasonRequiredError } from './audit-errors.js'
export {
  createAuditLog,
  checkReason,
  type AuditLog,
  type Audited,
  type AuditedTx,
} from './run-audited.js'
export {
  AUDIT_TARGETS,
  isAuditTargetType,
  redactDiff,
  type AuditTargetType,
  type SecretValue,
} from './redact-diff.js'
export {
  createAuditSigner,
  keyIdOfBase64,
  verifyAuditSignature,
  type AuditSigner,
} from './audit-signing.js'
export { createAuditCheckpointer, type AuditCheckpointer } from './audit-checkpoints.service.js'
export { startAuditCheckpointJob, type AuditCheckpointJob } from './audit-checkpoint-job.js'
export {
  AUDIT_EXPORT_FORMATS,
  createAuditService,
  type AuditEventPage,
  type AuditEventQuery,
  type AuditExportFormat,
  type AuditExportInfo,
  type AuditService,
} from './audit.service.js'
export {
  AUDIT_CSV_COLUMNS,
  exportAuditCsv,
  exportAuditJsonl,
  type AuditExportOptions,
  type ExportManifest,
} from './audit-export.js'
export { verifyAuditDatabase, verifyAuditExport, type AuditVerification } from './verify-audit.js'
export {
  createChainVerifier,
  type ChainReport,
  type ChainVerifier,
  type VerifiableEvent,
} from './verify-chain.js'
export type { SignedCheckpoint } from './checkpoint.js'
export { purgeAuditChain } from './audit-retention.js'
export {
  findAuditEvents,
  findLatestCheckpointTime,
  type AuditEventFilters,
} from './audit.repository.js'
export { rowToAuditEvent, toAuditEventRecord, type AuditEventRecord } from './audit-row.js'
export { GENESIS_HASH, PLATFORM_CHAIN, computeEventHash } from './hash-chain.js'
export { canonicalJson } from './canonical-json.js'
