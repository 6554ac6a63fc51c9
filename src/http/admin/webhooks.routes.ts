import type { OutboxDelivery } from '../../outbox/index.js'
import { adminRoute, type AdminRoute } from './admin-route.js'
import { toListPage } from './list-page.js'
import {
  ListDeliveriesQuery,
  OutboxIdParams,
  WebhookDeliveryListResponse,
  WebhookDeliveryResponse,
} from './webhooks.schemas.js'

const toResponse = (delivery: OutboxDelivery) => ({
  object: 'webhook_delivery' as const,
  ...delivery,
})

export const listWebhookDeliveriesRoute = adminRoute({
  method: 'GET',
  url: '/webhooks/deliveries',
  summary:
    'Webhook deliveries (the outbox), newest first: state, attempts, last error; no payloads',
  permission: 'webhooks.read',
  readOnly: true,
  query: ListDeliveriesQuery,
  response: WebhookDeliveryListResponse,
  handler: async ({ query, services }) => {
    const rows = await services.webhooks.list({
      ...(query.status ? { status: query.status } : {}),
      ...(query.topic ? { topic: query.topic } : {}),
      ...(query.eventId ? { eventId: query.eventId } : {}),
      ...(query.after ? { beforeId: query.after } : {}),
      limit: query.limit + 1,
    })
    return toListPage(rows.map(toResponse), {
      limit: query.limit,
      cursorOf: (delivery) => delivery.outboxId,
    })
  },
})

export const getWebhookDeliveryRoute = adminRoute({
  method: 'GET',
  url: '/webhooks/deliveries/:outboxId',
  summary: "One webhook delivery's state",
  permission: 'webhooks.read',
  readOnly: true,
  params: OutboxIdParams,
  response: WebhookDeliveryResponse,
  handler: async ({ params, services }) => toResponse(await services.webhooks.get(params.outboxId)),
})

export const retryWebhookDeliveryRoute = adminRoute({
  method: 'POST',
  url: '/webhooks/deliveries/:outboxId/retry',
  summary:
    'Send a pending or dead delivery again now, with a fresh allowance of attempts (409 when delivered)',
  permission: 'webhooks.write',
  action: 'webhook.delivery_retry',
  params: OutboxIdParams,
  response: WebhookDeliveryResponse,
  handler: async ({ params, services, audit }) =>
    toResponse(await services.webhooks.retry(audit, params.outboxId)),
})

export const WEBHOOK_ROUTES: readonly AdminRoute[] = [
  listWebhookDeliveriesRoute,
  getWebhookDeliveryRoute,
  retryWebhookDeliveryRoute,
]
