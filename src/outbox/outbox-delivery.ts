import { request } from 'undici'
import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/logger.js'
import { systemRandom, type Random } from '../lib/random.js'
import {
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  signWebhookBody,
} from '../lib/webhook-signature.js'
import type { Db } from '../storage/index.js'
import { classifyDeliveryError, outcomeOfStatus, type DeliveryOutcome } from './delivery-outcome.js'
import { webhookBodyOf, type OutboxTopic } from './outbox-event.js'
import {
  claimDueOutboxEvents,
  markOutboxDelivered,
  markOutboxFailed,
  purgeOutboxEvents,
  type OutboxEventRow,
} from './outbox.repository.js'
import { DEFAULT_RETRY_SCHEDULE, retryDelayMs, type RetrySchedule } from './retry-schedule.js'

/** The header naming the event's topic (`audit` | `usage`). */
export const WEBHOOK_TOPIC_HEADER = 'x-ferry-topic'

const DAY_MS = 24 * 60 * 60_000

export interface OutboxDeliveryOptions {
  db: Db
  clock: Clock
  /** `webhooks.url`. Never logged: it may carry a token. */
  url: string
  /** `deriveKey(masterKey, 'outbox-webhook-signing')`. */
  signingKey: Buffer
  /** Only these topics are polled (rows of others wait). */
  topics: readonly OutboxTopic[]
  /** The whole attempt (connect, headers, body). @default 10000 */
  timeoutMs?: number
  /** Attempts before a row is `dead`. @default 20 */
  maxAttempts?: number
  /** How long the worker sleeps when nothing was due. @default 1000 */
  pollIntervalMs?: number
  /** Rows claimed (and sent concurrently) per round. @default 20 */
  batchSize?: number
  /** @default DEFAULT_RETRY_SCHEDULE (2 s doubling, at most 1 h, jittered) */
  retrySchedule?: RetrySchedule
  /** Draws the retry jitter. @default Math.random */
  random?: Random
  /** Delivered rows are deleted this long after delivery. @default 7 days */
  deliveredRetentionMs?: number
  /** Dead rows are deleted this long after they were created. @default 30 days */
  deadRetentionMs?: number
  logger: Logger
}

/** What one round did. */
export interface DeliveryRound {
  claimed: number
  delivered: number
  failed: number
  dead: number
}

export interface OutboxDeliveryWorker {
  /** Start polling (main.ts). Idempotent. */
  start(): void
  /** One round now: claim due rows, send them, record each result. Never throws. */
  runOnce(): Promise<DeliveryRound>
  /** Stop polling and wait for the round in flight (before the database closes). */
  stop(): Promise<void>
}

/**
 * The outbox's delivery worker: polls due rows in batches and POSTs each as signed JSON; a 2xx
 * marks it delivered (only then: at least once), anything else schedules the next attempt with
 * exponential backoff and jitter, until `maxAttempts` make it `dead`. Every gateway instance may
 * run one; claims keep two from sending the same row at the same moment. The timer is unref'd.
 */
export function createOutboxDelivery(options: OutboxDeliveryOptions): OutboxDeliveryWorker {
  const timeoutMs = options.timeoutMs ?? 10_000
  const maxAttempts = options.maxAttempts ?? 20
  const pollIntervalMs = options.pollIntervalMs ?? 1_000
  const batchSize = options.batchSize ?? 20
  const schedule = options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE
  const random = options.random ?? systemRandom
  // A claim outlives the attempt's own timeout, so a row is never sent twice at once.
  const leaseMs = 2 * timeoutMs + 5_000
  const { db, clock, logger } = options
  let timer: NodeJS.Timeout | undefined
  let running: Promise<DeliveryRound> | undefined
  let stopped = false
  let lastPurgeMs = -Infinity

  async function attempt(row: OutboxEventRow): Promise<DeliveryOutcome> {
    const body = webhookBodyOf(row)
    try {
      const res = await request(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ferry-webhook/1',
          [WEBHOOK_EVENT_ID_HEADER]: row.event_id,
          [WEBHOOK_TOPIC_HEADER]: row.topic,
          [WEBHOOK_SIGNATURE_HEADER]: signWebhookBody({
            key: options.signingKey,
            timestampSeconds: Math.floor(clock.nowMs() / 1000),
            body,
          }),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      })
      // The answer's body is never read, only drained (bounded) so the connection is reused.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined)
      return outcomeOfStatus(res.statusCode)
    } catch (err) {
      return { ok: false, reason: classifyDeliveryError(err) }
    }
  }

  async function deliver(row: OutboxEventRow, round: DeliveryRound): Promise<void> {
    const outcome = await attempt(row)
    const attempts = Number(row.attempts)
    if (outcome.ok) {
      await markOutboxDelivered(db, { outboxId: row.outbox_id, deliveredAtMs: clock.nowMs() })
      round.delivered += 1
      return
    }
    const dead = attempts >= maxAttempts
    await markOutboxFailed(db, {
      outboxId: row.outbox_id,
      attempts,
      reason: outcome.reason,
      nextAttemptAtMs: dead
        ? null
        : clock.nowMs() + retryDelayMs({ attempt: attempts, schedule, random }),
    })
    if (dead) round.dead += 1
    else round.failed += 1
    const fields = { outboxId: row.outbox_id, eventId: row.event_id, topic: row.topic, attempts }
    if (dead) logger.error({ ...fields, reason: outcome.reason }, 'webhook delivery gave up: dead')
    else logger.warn({ ...fields, reason: outcome.reason }, 'webhook delivery failed; will retry')
  }

  async function round(): Promise<DeliveryRound> {
    const result: DeliveryRound = { claimed: 0, delivered: 0, failed: 0, dead: 0 }
    const nowMs = clock.nowMs()
    const rows = await claimDueOutboxEvents(db, {
      topics: options.topics,
      nowMs,
      leaseUntilMs: nowMs + leaseMs,
      limit: batchSize,
    })
    result.claimed = rows.length
    await Promise.all(rows.map((row) => deliver(row, result)))
    if (nowMs - lastPurgeMs >= 60_000) {
      lastPurgeMs = nowMs
      await purgeOutboxEvents(db, {
        deliveredBeforeMs: nowMs - (options.deliveredRetentionMs ?? 7 * DAY_MS),
        deadBeforeMs: nowMs - (options.deadRetentionMs ?? 30 * DAY_MS),
        limit: 1_000,
      })
    }
    return result
  }

  const runOnce = (): Promise<DeliveryRound> => {
    running ??= round()
      .catch((err: unknown) => {
        logger.error({ err }, 'webhook delivery round failed')
        return { claimed: 0, delivered: 0, failed: 0, dead: 0 }
      })
      .finally(() => {
        running = undefined
      })
    return running
  }

  function scheduleNext(delayMs: number) {
    if (stopped) return
    timer = setTimeout(() => {
      void runOnce().then((result) =>
        // A full batch: more may be due, go on at once.
        scheduleNext(result.claimed >= batchSize ? 0 : pollIntervalMs),
      )
    }, delayMs)
    timer.unref()
  }

  return {
    start: () => {
      if (timer !== undefined || stopped) return
      scheduleNext(0)
    },
    runOnce,
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
