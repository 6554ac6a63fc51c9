import { FerryError, NotFoundError } from '../lib/errors.js'

/** 404: no outbox row with this ID. */
export class WebhookDeliveryNotFoundError extends NotFoundError {
  constructor(outboxId: string) {
    super(`No webhook delivery ${outboxId}.`, { code: 'webhook_delivery_not_found' })
  }
}

/** 409: a retry of a row the receiver already acknowledged. */
export class WebhookDeliveryAlreadyDeliveredError extends FerryError {
  constructor(outboxId: string) {
    super(`Webhook delivery ${outboxId} is already delivered; nothing to retry.`, {
      status: 409,
      type: 'invalid_request_error',
      code: 'webhook_delivery_already_delivered',
    })
  }
}
