import { z } from 'zod'
import {
  ACTOR_TYPES,
  AUDIT_CATEGORIES,
  AUDIT_OUTCOMES,
  AUDIT_EXPORT_FORMATS,
  isAuditAction,
  type AuditEventRecord,
  type ChainReport,
} from '../../audit/index.js'
import { IsoTimestamp as Timestamp } from '../iso-timestamp.schema.js'
import { CountString, Timestamp as WireTimestamp } from './wire.schemas.js'

const AUDIT_EVENT_ID = /^aud_[0-9a-z]{26}$/
const STORED_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const Id = z.string().min(1).max(200)

/** Where a page ends: the (created_at, audit_event_id) of its last event. */
export interface AuditCursor {
  createdAt: string
  auditEventId: string
}

/** Opaque to clients: base64url of `created_at|audit_event_id`. */
export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(`${cursor.createdAt}|${cursor.auditEventId}`).toString('base64url')
}

export function decodeAuditCursor(text: string): AuditCursor | undefined {
  const [createdAt, auditEventId, extra] = Buffer.from(text, 'base64url').toString().split('|')
  if (extra !== undefined || createdAt === undefined || auditEventId === undefined) return undefined
  if (!STORED_TIMESTAMP.test(createdAt) || !AUDIT_EVENT_ID.test(auditEventId)) return undefined
  return { createdAt, auditEventId }
}

const Cursor = z
  .string()
  .max(200)
  .refine(
    (text) => decodeAuditCursor(text) !== undefined,
    'is not a cursor this API returned; pass next_cursor unchanged',
  )
  .transform((text) => decodeAuditCursor(text)!)

function isFromNotAfterTo(query: { from?: string; to?: string }): boolean {
  return query.from === undefined || query.to === undefined || query.from <= query.to
}
const FROM_AFTER_TO: { message: string; path: string[] } = {
  message: 'must not be after `to`',
  path: ['from'],
}

/** `GET /audit-events`: every filter optional; unknown actions and categories are a 400. */
export const ListAuditEventsQuery = z
  .strictObject({
    organization_id: Id.optional(),
    actor_id: Id.optional(),
    action: z
      .string()
      .refine(isAuditAction, 'is not an audit action (see docs/audit-log.md for the registry)')
      .optional(),
    category: z.enum(AUDIT_CATEGORIES).optional(),
    target_type: Id.optional(),
    target_id: Id.optional(),
    request_id: Id.optional(),
    from: Timestamp.optional(),
    to: Timestamp.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: Cursor.optional(),
  })
  .refine(isFromNotAfterTo, FROM_AFTER_TO)

export const AuditEventIdParams = z.strictObject({
  audit_event_id: z.string().regex(AUDIT_EVENT_ID, 'must be an audit event id (aud_…)'),
})

/** `GET /audit-events/export`: one organization's chain or all, optionally a time slice. */
export const ExportAuditEventsQuery = z
  .strictObject({
    format: z.enum(AUDIT_EXPORT_FORMATS).default('jsonl'),
    organization_id: Id.optional(),
    from: Timestamp.optional(),
    to: Timestamp.optional(),
  })
  .refine(isFromNotAfterTo, FROM_AFTER_TO)

export const AuditExportIdParams = z.strictObject({
  export_id: z.string().regex(/^aex_[0-9a-z]{26}$/, 'must be an audit export id (aex_…)'),
})

/** `POST /audit/verify`: every chain, or one. */
export const VerifyAuditBody = z.strictObject({ chain_id: Id.optional() })

/** An event on the wire: the export's event record, so a client can recompute its hash. */
export function auditEventJson(record: AuditEventRecord) {
  return { object: 'audit_event' as const, ...record }
}

/** One chain's verification result on the wire (sequences as decimal strings). */
export function chainReportJson(report: ChainReport) {
  const first = report.problems[0]
  return {
    chain_id: report.chainId,
    ok: first === undefined,
    events: report.events,
    first_sequence: report.firstSequence === null ? null : String(report.firstSequence),
    last_sequence: report.lastSequence === null ? null : String(report.lastSequence),
    last_hash: report.lastHash,
    checkpoints_verified: report.checkpointsVerified,
    first_problem: first ? { sequence: String(first.sequence), message: first.message } : null,
  }
}

const Text = z.string().nullable()

/** An event on the wire (auditEventJson): every hashed field plus the hash, snake_case. */
export const AuditEventResponse = z.object({
  object: z.literal('audit_event'),
  audit_event_id: z.string(),
  chain_id: z.string(),
  sequence: CountString,
  schema_version: z.string(),
  organization_id: Text,
  actor_type: z.enum(ACTOR_TYPES),
  actor_id: z.string(),
  actor_role: Text,
  actor_ip: Text,
  user_agent: Text,
  impersonator_id: Text,
  support_session_id: Text,
  target_type: Text,
  target_id: Text,
  target_label: Text,
  action: z.string(),
  category: z.enum(AUDIT_CATEGORIES),
  outcome: z.enum(AUDIT_OUTCOMES),
  /** The allow-listed, redacted state before and after (null when there is none). */
  before: z.unknown(),
  after: z.unknown(),
  reason_code: Text,
  reason_note: Text,
  request_id: Text,
  policy_version: Text,
  evidence: z.unknown(),
  created_at: WireTimestamp,
  previous_hash: z.string(),
  hash: z.string(),
})

export const AuditEventPageResponse = z.object({
  object: z.literal('list'),
  data: z.array(AuditEventResponse),
  has_more: z.boolean(),
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: z.string().nullable(),
})

/** One chain's verification (chainReportJson). */
const ChainReportResponse = z.object({
  chain_id: z.string(),
  ok: z.boolean(),
  events: z.number().int(),
  first_sequence: CountString.nullable(),
  last_sequence: CountString.nullable(),
  last_hash: Text,
  checkpoints_verified: z.number().int(),
  first_problem: z.object({ sequence: CountString, message: z.string() }).nullable(),
})

export const AuditVerificationResponse = z.object({
  object: z.literal('audit_verification'),
  ok: z.boolean(),
  key_id: z.string(),
  chains: z.array(ChainReportResponse),
  first_problem: z
    .object({ chain_id: z.string(), sequence: CountString, message: z.string() })
    .nullable(),
})

/** The signed statement that ends an export (src/audit/audit-export.ts ExportManifest). */
const ExportManifestResponse = z.object({
  type: z.literal('manifest'),
  format: z.literal('ferry.audit.export.v1'),
  generated_at: WireTimestamp,
  rows: z.number().int(),
  /** SHA-256 (hex) of every byte of the file before the manifest. */
  sha256: z.string(),
  chains: z.array(z.string()),
  /** A time slice: it verifies within itself, not against the chains' heads. */
  partial: z.boolean(),
  key_id: z.string(),
  /** The Ed25519 public key (base64) the signature verifies with. */
  public_key: z.string(),
  signature: z.string(),
})

/** An export made through the admin API: its filters, its state, and its manifest once complete. */
export const AuditExportResponse = z.object({
  object: z.literal('audit_export'),
  export_id: z.string(),
  format: z.enum(AUDIT_EXPORT_FORMATS),
  filters: z.object({ organization_id: Text, from: Text, to: Text }),
  status: z.enum(['started', 'completed']),
  actor_id: z.string(),
  request_id: Text,
  created_at: WireTimestamp,
  completed_at: WireTimestamp.nullable(),
  /** Null until the last line of the export was generated. */
  manifest: ExportManifestResponse.nullable(),
})

/** A signed checkpoint of one chain (src/audit/checkpoint.ts SignedCheckpoint). */
const AuditCheckpointResponse = z.object({
  object: z.literal('audit_checkpoint'),
  checkpoint_id: z.string(),
  chain_id: z.string(),
  sequence: CountString,
  hash: z.string(),
  created_at: WireTimestamp,
  key_id: z.string(),
  /** Ed25519 signature (base64) of the checkpoint statement. */
  signature: z.string(),
})

export const AuditCheckpointListResponse = z.object({
  object: z.literal('list'),
  data: z.array(AuditCheckpointResponse),
})

/** The public half of the audit signing key: what verifiers pin. */
export const AuditPublicKeyResponse = z.object({
  key_id: z.string(),
  algorithm: z.literal('Ed25519'),
  /** Raw Ed25519 public key, base64. */
  public_key: z.string(),
})
