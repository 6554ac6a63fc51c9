import type { Selectable } from 'kysely'
import { toIsoTimestamp } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { dialectOf, takeWriteLock, type Db } from '../storage/index.js'
import {
  toPayloadJson,
  type OutboxEventInput,
  type OutboxStatus,
  type OutboxTopic,
} from './outbox-event.js'
import type { OutboxEventsTable } from './outbox.table.js'

export type OutboxEventRow = Selectable<OutboxEventsTable>

/**
 * Put events in the outbox, inside the caller's transaction: they are delivered if and only if
 * that transaction commits. Call it only for an enabled topic (`enabledOutboxTopics`); an event
 * ID already in the outbox for its topic is kept as it is (enqueueing is idempotent). Payloads
 * must already be redacted: the outbox sends what it is given.
 * @example await enqueueOutbox(tx, [{ topic: 'usage', eventId: row.request_id, payload }], { nowMs })
 */
export async function enqueueOutbox(
  tx: Db,
  events: readonly OutboxEventInput[],
  at: { nowMs: number },
): Promise<void> {
  if (events.length === 0) return
  const createdAt = toIsoTimestamp(at.nowMs)
  const rows: OutboxEventsTable[] = events.map((event) => ({
    outbox_id: newId('obx', at.nowMs),
    topic: event.topic,
    event_id: event.eventId,
    payload_json: toPayloadJson(event.payload),
    created_at: createdAt,
    attempts: 0,
    next_attempt_at: createdAt,
    last_attempt_at: null,
    delivered_at: null,
    last_error: null,
    status: 'pending',
  }))
  // 11 columns a row: 500 rows stay well under SQLite's 32,766 bound variables.
  for (let i = 0; i < rows.length; i += 500)
    await tx
      .insertInto('outbox_events')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['topic', 'event_id']).doNothing())
      .execute()
}

/**
 * Claim up to `limit` due rows for one delivery attempt each: count the attempt and push
 * `next_attempt_at` to `leaseUntil`, so no other poller (this process or another) picks them
 * while the attempt is in flight. PostgreSQL skips rows another process is claiming
 * (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time. A process that dies mid-attempt
 * leaves its rows due again when the lease ends: delivery is at least once.
 */
export async function claimDueOutboxEvents(
  db: Db,
  claim: { topics: readonly OutboxTopic[]; nowMs: number; leaseUntilMs: number; limit: number },
): Promise<OutboxEventRow[]> {
  if (claim.topics.length === 0) return []
  const now = toIsoTimestamp(claim.nowMs)
  // An idle poll stays a read: no transaction, and on SQLite no write lock taken every second.
  const anyDue = await db
    .selectFrom('outbox_events')
    .select('outbox_id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where('topic', 'in', claim.topics)
    .limit(1)
    .executeTakeFirst()
  if (!anyDue) return []
  return db.transaction().execute(async (tx) => {
    const postgres = dialectOf(tx) === 'postgres'
    if (!postgres) await takeWriteLock(tx)
    let due = tx
      .selectFrom('outbox_events')
      .select('outbox_id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where('topic', 'in', claim.topics)
      .orderBy('next_attempt_at')
      .orderBy('outbox_id')
      .limit(claim.limit)
    if (postgres) due = due.forUpdate().skipLocked()
    const ids = (await due.execute()).map((r) => r.outbox_id)
    if (ids.length === 0) return []
    return tx
      .updateTable('outbox_events')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_attempt_at: now,
        next_attempt_at: toIsoTimestamp(claim.leaseUntilMs),
      }))
      .where('outbox_id', 'in', ids)
      .returningAll()
      .execute()
  })
}

/**
 * Record a 2xx. Applies while the row is still pending, whoever claimed it last: the receiver
 * has the event, so it is delivered.
 */
export async function markOutboxDelivered(
  db: Db,
  delivered: { outboxId: string; deliveredAtMs: number },
): Promise<void> {
  await db
    .updateTable('outbox_events')
    .set({
      status: 'delivered',
      delivered_at: toIsoTimestamp(delivered.deliveredAtMs),
      last_error: null,
    })
    .where('outbox_id', '=', delivered.outboxId)
    .where('status', '=', 'pending')
    .execute()
}

/**
 * Record a failed attempt: due again at `nextAttemptAtMs`, or `dead`. Applies only if nobody
 * claimed the row again since (`attempts` is still the claimed count), so a slow attempt never
 * overwrites a newer one's result.
 */
export async function markOutboxFailed(
  db: Db,
  failure: {
    outboxId: string
    attempts: number
    reason: string
    /** null: no attempts left, the row is dead. */
    nextAttemptAtMs: number | null
  },
): Promise<void> {
  await db
    .updateTable('outbox_events')
    .set({
      last_error: failure.reason,
      ...(failure.nextAttemptAtMs === null
        ? { status: 'dead' }
        : { next_attempt_at: toIsoTimestamp(failure.nextAttemptAtMs) }),
    })
    .where('outbox_id', '=', failure.outboxId)
    .where('status', '=', 'pending')
    .where('attempts', '=', failure.attempts)
    .execute()
}

export interface OutboxFilters {
  status?: OutboxStatus
  topic?: OutboxTopic
  eventId?: string
  /** Continue below this outbox ID (newest first). */
  beforeId?: string
  limit: number
}

/** Newest first by outbox ID (time-ordered), with a keyset cursor. */
export async function findOutboxEvents(db: Db, filters: OutboxFilters): Promise<OutboxEventRow[]> {
  let query = db.selectFrom('outbox_events').selectAll()
  if (filters.status !== undefined) query = query.where('status', '=', filters.status)
  if (filters.topic !== undefined) query = query.where('topic', '=', filters.topic)
  if (filters.eventId !== undefined) query = query.where('event_id', '=', filters.eventId)
  if (filters.beforeId !== undefined) query = query.where('outbox_id', '<', filters.beforeId)
  return query.orderBy('outbox_id', 'desc').limit(filters.limit).execute()
}

export async function findOutboxEventById(
  db: Db,
  outboxId: string,
): Promise<OutboxEventRow | undefined> {
  return db
    .selectFrom('outbox_events')
    .selectAll()
    .where('outbox_id', '=', outboxId)
    .executeTakeFirst()
}

/** Make a pending or dead row due now with a fresh allowance of attempts. */
export async function requeueOutboxEvent(
  tx: Db,
  requeue: { outboxId: string; nowMs: number },
): Promise<OutboxEventRow | undefined> {
  return tx
    .updateTable('outbox_events')
    .set({ status: 'pending', attempts: 0, next_attempt_at: toIsoTimestamp(requeue.nowMs) })
    .where('outbox_id', '=', requeue.outboxId)
    .where('status', 'in', ['pending', 'dead'])
    .returningAll()
    .executeTakeFirst()
}

/**
 * Delete delivered rows delivered before `deliveredBeforeMs` and dead rows created before
 * `deadBeforeMs`, at most `limit` of each: the outbox holds what is in flight, not history (the
 * audit log and the usage table are the durable records).
 */
export async function purgeOutboxEvents(
  db: Db,
  purge: { deliveredBeforeMs: number; deadBeforeMs: number; limit: number },
): Promise<number> {
  let purged = 0
  for (const [status, column, beforeMs] of [
    ['delivered', 'delivered_at', purge.deliveredBeforeMs],
    ['dead', 'created_at', purge.deadBeforeMs],
  ] as const) {
    const result = await db
      .deleteFrom('outbox_events')
      .where(
        'outbox_id',
        'in',
        db
          .selectFrom('outbox_events')
          .select('outbox_id')
          .where('status', '=', status)
          .where(column, '<', toIsoTimestamp(beforeMs))
          .limit(purge.limit),
      )
      .executeTakeFirst()
    purged += Number(result.numDeletedRows)
  }
  return purged
}
