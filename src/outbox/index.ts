/**
 * The webhook outbox: audit and usage events written in the same transaction as the event,
 * delivered to the configured HTTPS webhook signed, retried with backoff, at least once, with
 * the event ID for deduplication. See docs/webhooks.md.
 */
export type { OutboxEventsTable, OutboxTables } from './outbox.table.js'
export {
  OUTBOX_STATUSES,
  OUTBOX_TOPICS,
  enabledOutboxTopics,
  isOutboxTopic,
  rowToOutboxDelivery,
  webhookBodyOf,
  type OutboxDelivery,
  type OutboxEventInput,
  type OutboxStatus,
  type OutboxTopic,
} from './outbox-event.js'
export {
  claimDueOutboxEvents,
  enqueueOutbox,
  findOutboxEventById,
  findOutboxEvents,
  type OutboxEventRow,
  type OutboxFilters,
} from './outbox.repository.js'
export { DEFAULT_RETRY_SCHEDULE, retryDelayMs, type RetrySchedule } from './retry-schedule.js'
export { classifyDeliveryError, outcomeOfStatus, type DeliveryOutcome } from './delivery-outcome.js'
export {
  WEBHOOK_TOPIC_HEADER,
  createOutboxDelivery,
  type DeliveryRound,
  type OutboxDeliveryWorker,
  type OutboxDeliveryOptions,
} from './outbox-delivery.js'
export { outboxSigningKey } from './outbox-signing-key.js'
export { createOutboxService, type OutboxService } from './outbox.service.js'
export {
  WebhookDeliveryAlreadyDeliveredError,
  WebhookDeliveryNotFoundError,
} from './outbox-errors.js'
