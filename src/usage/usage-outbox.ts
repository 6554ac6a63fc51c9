import type { Clock } from '../lib/clock.js'
import { enqueueOutbox } from '../outbox/index.js'
import type { Db } from '../storage/index.js'
import { rowToUsageEvent } from './usage-event.js'
import type { UsageEventsTable } from './usage.table.js'

/**
 * Usage events reach the webhook through the outbox, enqueued in the transaction that writes
 * them. Shared by the settlement writer of the event loop and of the settlement thread.
 */
export function enqueueUsageEvents(
  trx: Db,
  rows: readonly UsageEventsTable[],
  clock: Clock,
): Promise<void> {
  return enqueueOutbox(
    trx,
    rows.map((row) => ({
      topic: 'usage' as const,
      // Request IDs are the client's to choose and may repeat; usage IDs never do.
      eventId: row.usage_id,
      payload: rowToUsageEvent({ ...row, refunded_micros: 0n }),
    })),
    { nowMs: clock.nowMs() },
  )
}
