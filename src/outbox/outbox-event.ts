import type { OutboxEventsTable } from './outbox.table.js'

/** What the outbox carries: admin audit events and usage events. */
export const OUTBOX_TOPICS = ['audit', 'usage'] as const
export type OutboxTopic = (typeof OUTBOX_TOPICS)[number]

/** `pending` until a 2xx (`delivered`) or the last allowed attempt failed (`dead`). */
export const OUTBOX_STATUSES = ['pending', 'delivered', 'dead'] as const
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number]

/** One event to enqueue: its topic, its ID (the receiver's dedup key) and its redacted payload. */
export interface OutboxEventInput {
  topic: OutboxTopic
  eventId: string
  /** JSON-serialisable (bigint becomes a decimal string). Must already be redacted. */
  payload: unknown
}

/** An outbox row's delivery state, as the admin API shows it (no payload). */
export interface OutboxDelivery {
  outboxId: string
  topic: OutboxTopic
  eventId: string
  status: OutboxStatus
  attempts: number
  createdAt: string
  nextAttemptAt: string | null
  lastAttemptAt: string | null
  deliveredAt: string | null
  lastError: string | null
}

export function isOutboxTopic(value: string): value is OutboxTopic {
  return (OUTBOX_TOPICS as readonly string[]).includes(value)
}

/**
 * The topics to enqueue for, decided once at start: none without a webhook URL (so nothing
 * piles up that nobody will send), else the configured ones.
 */
export function enabledOutboxTopics(webhooks: {
  url?: string | undefined
  topics: readonly OutboxTopic[]
}): ReadonlySet<OutboxTopic> {
  return Object.freeze(new Set(webhooks.url ? webhooks.topics : []))
}

export function rowToOutboxDelivery(row: OutboxEventsTable): OutboxDelivery {
  const status = row.status as OutboxStatus
  return {
    outboxId: row.outbox_id,
    topic: row.topic as OutboxTopic,
    eventId: row.event_id,
    status,
    attempts: Number(row.attempts),
    createdAt: row.created_at,
    nextAttemptAt: status === 'pending' ? row.next_attempt_at : null,
    lastAttemptAt: row.last_attempt_at,
    deliveredAt: row.delivered_at,
    lastError: row.last_error,
  }
}

/**
 * The body POSTed for a row: `{"id","topic","createdAt","payload"}`, built around the stored
 * payload text so every attempt sends the same bytes.
 */
export function webhookBodyOf(
  row: Pick<OutboxEventsTable, 'event_id' | 'topic' | 'created_at' | 'payload_json'>,
): string {
  return `{"id":${JSON.stringify(row.event_id)},"topic":${JSON.stringify(row.topic)},"createdAt":${JSON.stringify(row.created_at)},"payload":${row.payload_json}}`
}

/** JSON text of a payload, bigint as decimal strings (money stays exact on the wire). */
export function toPayloadJson(payload: unknown): string {
  return JSON.stringify(payload, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  )
}
