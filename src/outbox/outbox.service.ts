import type { AuditContext, AuditLog } from '../audit/index.js'
import type { Clock } from '../lib/clock.js'
import type { Db } from '../storage/index.js'
import {
  WebhookDeliveryAlreadyDeliveredError,
  WebhookDeliveryNotFoundError,
} from './outbox-errors.js'
import { rowToOutboxDelivery, type OutboxDelivery } from './outbox-event.js'
import {
  findOutboxEventById,
  findOutboxEvents,
  requeueOutboxEvent,
  type OutboxFilters,
} from './outbox.repository.js'

export interface OutboxService {
  /** Delivery states, newest first (`limit` rows; the caller asks one more to know of a next page). */
  list(filters: OutboxFilters): Promise<OutboxDelivery[]>
  get(outboxId: string): Promise<OutboxDelivery>
  /**
   * Make a pending or dead delivery due now with a fresh allowance of attempts, audited as
   * `webhook.delivery_retry` in the same transaction. A delivered one is refused (409).
   */
  retry(audit: AuditContext, outboxId: string): Promise<OutboxDelivery>
}

/** The admin side of the outbox: what is waiting, what was delivered, what died; retry. */
export function createOutboxService(deps: {
  db: Db
  auditLog: AuditLog
  clock: Clock
}): OutboxService {
  const { db, auditLog, clock } = deps
  return {
    list: async (filters) => (await findOutboxEvents(db, filters)).map(rowToOutboxDelivery),
    get: async (outboxId) => {
      const row = await findOutboxEventById(db, outboxId)
      if (!row) throw new WebhookDeliveryNotFoundError(outboxId)
      return rowToOutboxDelivery(row)
    },
    retry: (audit, outboxId) =>
      auditLog.run(audit, 'webhook.delivery_retry', async (tx) => {
        const found = await findOutboxEventById(tx, outboxId)
        if (!found) throw new WebhookDeliveryNotFoundError(outboxId)
        const requeued = await requeueOutboxEvent(tx, { outboxId, nowMs: clock.nowMs() })
        if (!requeued) throw new WebhookDeliveryAlreadyDeliveredError(outboxId)
        const before = rowToOutboxDelivery(found)
        const after = rowToOutboxDelivery(requeued)
        const state = (d: OutboxDelivery) => ({
          topic: d.topic,
          eventId: d.eventId,
          status: d.status,
          attempts: d.attempts,
          lastError: d.lastError,
          nextAttemptAt: d.nextAttemptAt,
        })
        return {
          result: after,
          event: {
            target: {
              type: 'webhook_delivery',
              id: outboxId,
              label: `${before.topic}:${before.eventId}`,
            },
            before: state(before),
            after: state(after),
          },
        }
      }),
  }
}
