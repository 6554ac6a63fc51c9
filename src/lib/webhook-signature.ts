import { createHmac, timingSafeEqual } from 'node:crypto'

/** The header that carries a webhook's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-ferry-signature'
/** The header that carries the event's ID: the receiver's deduplication key. */
export const WEBHOOK_EVENT_ID_HEADER = 'x-ferry-event-id'

const SIGNATURE = /^t=(\d+),v1=([0-9a-f]{64})$/

/**
 * Stripe-style `t=<seconds>,v1=<hex>` where hex = HMAC-SHA256(key, `<seconds>.<body>`): the
 * receiver recomputes it over the raw body and rejects an old timestamp (replay). Every Ferry
 * webhook (budget threshold crossings, the outbox) signs this way, each with its own key.
 * @example signWebhookBody({ key, timestampSeconds: 1767225600, body: '{"id":"aud_…"}' })
 */
export function signWebhookBody(options: {
  key: Buffer
  timestampSeconds: number
  body: string
}): string {
  const mac = createHmac('sha256', options.key)
    .update(`${options.timestampSeconds}.${options.body}`)
    .digest('hex')
  return `t=${options.timestampSeconds},v1=${mac}`
}

/** Check a signature header against the raw body, in constant time. */
export function verifyWebhookSignature(options: {
  key: Buffer
  header: string
  body: string
}): boolean {
  const match = SIGNATURE.exec(options.header)
  if (!match) return false
  const expected = signWebhookBody({
    key: options.key,
    timestampSeconds: Number(match[1]),
    body: options.body,
  })
  const a = Buffer.from(expected)
  const b = Buffer.from(options.header)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The `t=` of a signature header, in seconds (null when the header is malformed). */
export function signatureTimestampSeconds(header: string): number | null {
  const match = SIGNATURE.exec(header)
  return match ? Number(match[1]) : null
}
