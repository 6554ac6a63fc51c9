import { z } from 'zod'
import { OUTBOX_STATUSES, OUTBOX_TOPICS } from '../../outbox/index.js'
import { Timestamp, listPageResponse } from './wire.schemas.js'

const OUTBOX_ID = /^obx_[0-9a-z]{26}$/

export const OutboxIdParams = z.strictObject({
  outboxId: z.string().regex(OUTBOX_ID, 'must be a webhook delivery id (obx_…)'),
})

/** `GET /webhooks/deliveries`: newest first; `after` is the previous page's `nextCursor`. */
export const ListDeliveriesQuery = z.strictObject({
  status: z.enum(OUTBOX_STATUSES).optional(),
  topic: z.enum(OUTBOX_TOPICS).optional(),
  /** The event's ID (an audit_event_id or a request ID). */
  eventId: z.string().min(1).max(200).optional(),
  after: z.string().regex(OUTBOX_ID, 'is not a cursor this API returned').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

/** A delivery's state (OutboxDelivery): never its payload. */
export const WebhookDeliveryResponse = z.object({
  object: z.literal('webhook_delivery'),
  outboxId: z.string(),
  topic: z.enum(OUTBOX_TOPICS),
  /** The event's ID (an audit_event_id or a request ID): the receiver's deduplication key. */
  eventId: z.string(),
  status: z.enum(OUTBOX_STATUSES),
  attempts: z.number().int(),
  createdAt: Timestamp,
  /** Null unless pending. */
  nextAttemptAt: Timestamp.nullable(),
  lastAttemptAt: Timestamp.nullable(),
  deliveredAt: Timestamp.nullable(),
  /** A classification of the last failure (`connection_refused`, `http_503`, …). */
  lastError: z.string().nullable(),
})

export const WebhookDeliveryListResponse = listPageResponse(WebhookDeliveryResponse)
