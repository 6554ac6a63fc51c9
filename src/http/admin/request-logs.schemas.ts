import { z } from 'zod'
import { isWellFormedRequestId } from '../../lib/ids.js'
import {
  MAX_RETENTION_DAYS,
  MIN_RETENTION_DAYS,
  type RequestLog,
  type RequestLogSettings,
} from '../../request-logs/index.js'
import type { UsageEvent } from '../../usage/index.js'
import { IsoTimestamp as Timestamp } from '../iso-timestamp.schema.js'
import { MicrosString, Timestamp as WireTimestamp } from './wire.schemas.js'

/** `PUT /orgs/:organizationId/request-logging`. */
export const RequestLoggingBody = z.strictObject({
  /** Capture prompts and completions (masked) for this organization. */
  captureEnabled: z.boolean(),
  /** Days captured content is kept. @default the current value (30 for a first opt-in) */
  retentionDays: z.number().int().min(MIN_RETENTION_DAYS).max(MAX_RETENTION_DAYS).optional(),
})

export const RequestIdParams = z.strictObject({
  requestId: z.string().refine(isWellFormedRequestId, 'must be a request id (req_…)'),
})

/** `GET /request-logs/export`: one organization, optionally a time slice [from, to). */
export const ExportRequestLogsQuery = z
  .strictObject({
    organizationId: z.string().regex(/^org_[0-9a-z]{26}$/, 'must be an organization id (org_…)'),
    from: Timestamp.optional(),
    to: Timestamp.optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'must not be after `to`',
    path: ['from'],
  })

export function requestLogSettingsJson(settings: RequestLogSettings) {
  return {
    object: 'request_logging',
    organizationId: settings.organizationId,
    captureEnabled: settings.captureEnabled,
    retentionDays: settings.retentionDays,
    updatedAt: settings.updatedAt,
  }
}

/** A request log with its usage event's metadata (null until the usage writer records it). */
export function requestLogViewJson(view: { log: RequestLog; usage: UsageEvent | null }) {
  const { log, usage } = view
  return {
    object: 'request_log',
    requestId: log.requestId,
    organizationId: log.organizationId,
    endpoint: log.endpoint,
    createdAt: log.createdAt,
    request: log.request,
    response: log.response,
    maskedCount: log.maskedCount,
    truncated: log.truncated,
    usage: usage
      ? {
          keyLabel: usage.keyLabel,
          modelRequested: usage.modelRequested,
          modelServed: usage.modelServed,
          provider: usage.provider,
          httpStatus: usage.httpStatus,
          errorCode: usage.errorCode,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
          costMicros: usage.costMicros.toString(),
          latencyMs: usage.latencyMs,
          streamOutcome: usage.streamOutcome,
        }
      : null,
  }
}

/** An organization's request logging setting (requestLogSettingsJson). */
export const RequestLoggingResponse = z.object({
  object: z.literal('request_logging'),
  organizationId: z.string(),
  /** Prompts and completions are captured (masked) for this organization. */
  captureEnabled: z.boolean(),
  /** Days captured content is kept. */
  retentionDays: z.number().int(),
  /** Null while the organization never changed the default. */
  updatedAt: WireTimestamp.nullable(),
})

const Nullable = z.string().nullable()

/** One captured request (requestLogViewJson): masked content plus its usage metadata. */
export const RequestLogResponse = z.object({
  object: z.literal('request_log'),
  requestId: z.string(),
  organizationId: z.string(),
  endpoint: z.string(),
  createdAt: WireTimestamp,
  /** The request body, secrets masked; a JSON string when it was truncated. */
  request: z.unknown(),
  /** The completion (a JSON body, or the streamed text as a string), masked; null if none. */
  response: z.unknown(),
  maskedCount: z.number().int(),
  truncated: z.boolean(),
  /** Null until the usage writer has recorded the request. */
  usage: z
    .object({
      keyLabel: z.string(),
      modelRequested: Nullable,
      modelServed: Nullable,
      provider: Nullable,
      httpStatus: z.number().int(),
      errorCode: Nullable,
      promptTokens: z.number().int(),
      completionTokens: z.number().int(),
      costMicros: MicrosString,
      latencyMs: z.number(),
      streamOutcome: Nullable,
    })
    .nullable(),
})
