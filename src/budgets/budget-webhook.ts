import { request } from 'undici'
import {
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  signWebhookBody,
} from '../lib/webhook-signature.js'
import { createInFlight } from '../lib/in-flight.js'

// The signing scheme is shared with the outbox's webhook (src/lib/webhook-signature.ts).
export {
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  signWebhookBody,
  verifyWebhookSignature,
} from '../lib/webhook-signature.js'

export interface WebhookSenderOptions {
  url: string
  /** Derived from the master key (`deriveKey(masterKey, 'webhook-signing')`). */
  signingKey: Buffer
  /** Per attempt, for the headers and for the body. @default 5000 */
  timeoutMs?: number
  /** @default 4 */
  maxAttempts?: number
  /** Before attempt n+1: retryDelayMs × 4^(n-1). @default 500 */
  retryDelayMs?: number
  nowMs: () => number
  /** Hears about a delivery that failed after its last attempt. */
  onError?: (err: unknown) => void
}

/** Fire-and-forget delivery of signed JSON events, with a timeout and a few retries. */
export interface WebhookSender {
  /** Queue a delivery; never throws, never waits. */
  send(event: { id: string; payload: Readonly<Record<string, unknown>> }): void
  /** Resolves when every delivery started so far has finished (tests, shutdown). */
  drain(): Promise<void>
}

const RETRYABLE_CLIENT_STATUSES = new Set([408, 409, 425, 429])

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 5_000
  const maxAttempts = options.maxAttempts ?? 4
  const retryDelayMs = options.retryDelayMs ?? 500
  const inFlight = createInFlight()

  async function attempt(id: string, body: string): Promise<'done' | 'retry' | 'give_up'> {
    const timestampSeconds = Math.floor(options.nowMs() / 1000)
    const res = await request(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'ferry-webhook/1',
        [WEBHOOK_EVENT_ID_HEADER]: id,
        [WEBHOOK_SIGNATURE_HEADER]: signWebhookBody({
          key: options.signingKey,
          timestampSeconds,
          body,
        }),
      },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
    await res.body.dump()
    if (res.statusCode >= 200 && res.statusCode < 300) return 'done'
    if (res.statusCode >= 500 || RETRYABLE_CLIENT_STATUSES.has(res.statusCode)) return 'retry'
    return 'give_up'
  }

  async function deliver(id: string, body: string): Promise<void> {
    let lastProblem: unknown = null
    for (let n = 1; n <= maxAttempts; n++) {
      try {
        const outcome = await attempt(id, body)
        if (outcome === 'done') return
        lastProblem = new Error(`webhook ${id}: the receiver answered with a refusal`)
        if (outcome === 'give_up') break
      } catch (err) {
        lastProblem = err
      }
      if (n < maxAttempts)
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 4 ** (n - 1)).unref())
    }
    options.onError?.(
      new Error(`webhook ${id}: not delivered after ${maxAttempts} attempt(s)`, {
        cause: lastProblem,
      }),
    )
  }

  return {
    send: ({ id, payload }) => {
      void inFlight.track(
        deliver(id, JSON.stringify(payload)).catch((err: unknown) => options.onError?.(err)),
      )
    },
    drain: () => inFlight.drain(),
  }
}
