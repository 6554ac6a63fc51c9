/**
 * `outbox_events` (migration 0012-outbox): events waiting for, or done with, delivery to the
 * configured webhook. A row is written in the same transaction as the event it carries (an audit
 * event, a usage event), so a committed event is delivered at least once and a rolled-back one
 * never. Mutable delivery state; the payload never changes.
 */
export interface OutboxEventsTable {
  /** `obx_…`, time-ordered: the admin API's cursor. */
  outbox_id: string
  /** One of OUTBOX_TOPICS: 'audit' | 'usage'. */
  topic: string
  /** The receiver's deduplication key: the audit_event_id, or the usage event's request_id. */
  event_id: string
  /** The event as JSON, already redacted by its writer (never a secret). */
  payload_json: string
  created_at: string
  /** Delivery attempts started so far. */
  attempts: number
  /** When the next attempt is due (also pushed forward while an attempt is in flight). */
  next_attempt_at: string
  last_attempt_at: string | null
  delivered_at: string | null
  /** A short classified reason of the last failure (`http_503`, `timeout`, …), never a body. */
  last_error: string | null
  /** One of OUTBOX_STATUSES: 'pending' | 'delivered' | 'dead'. */
  status: string
}

export interface OutboxTables {
  outbox_events: OutboxEventsTable
}
