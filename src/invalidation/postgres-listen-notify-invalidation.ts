import pg from 'pg'
import type { Db } from '../storage/index.js'
import type {
  CacheInvalidation,
  InvalidationErrorHandler,
  InvalidationMessage,
} from './cache-invalidation.js'
import { notifyChannel } from './cache-invalidations.repository.js'
import {
  assertInvalidationMessage,
  decodeInvalidation,
  encodeInvalidation,
} from './encode-invalidation.js'
import { createSubscriberSet, ignoreInvalidationError, newOriginId } from './subscriber-set.js'

export interface PostgresListenNotifyOptions {
  /** Publishes through the pool (NOTIFY needs no dedicated connection). */
  db: Db
  /** For the dedicated listening connection (LISTEN holds a session, so not from the pool). */
  connectionString: string
  /**
   * Channels are per database, not per schema: deployments sharing a database need their own.
   * @default 'ferry_cache_invalidation'
   */
  channel?: string
  /** First reconnect delay; doubles on each failure up to `maxReconnectDelayMs`. @default 250 */
  reconnectDelayMs?: number
  /** @default 5000 */
  maxReconnectDelayMs?: number
  onError?: InvalidationErrorHandler
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Invalidation over PostgreSQL LISTEN/NOTIFY, for several gateways sharing one database
 * without Redis. One dedicated client listens and reconnects with backoff; after a reconnect
 * it delivers `all`, since notifications sent while it was away are lost.
 */
export function createPostgresListenNotifyInvalidation(
  options: PostgresListenNotifyOptions,
): CacheInvalidation {
  const channel = options.channel ?? 'ferry_cache_invalidation'
  if (!CHANNEL.test(channel)) throw new TypeError(`invalid NOTIFY channel name: ${channel}`)
  const initialDelayMs = options.reconnectDelayMs ?? 250
  const maxDelayMs = options.maxReconnectDelayMs ?? 5_000
  const onError = options.onError ?? ignoreInvalidationError
  const origin = newOriginId()
  const subscribers = createSubscriberSet(onError)
  let client: pg.Client | undefined
  let started = false
  let closed = false
  let everConnected = false
  let delayMs = initialDelayMs
  let retryTimer: NodeJS.Timeout | undefined
  let resolveReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (resolveReady = resolve))

  const onNotification = (notification: pg.Notification): void => {
    if (notification.channel !== channel || notification.payload === undefined) return
    const envelope = decodeInvalidation(notification.payload)
    if (envelope === undefined) return onError(new Error('ignored a malformed notification'))
    if (envelope.origin !== origin) subscribers.deliver(envelope.message)
  }

  const scheduleReconnect = (): void => {
    if (closed || retryTimer !== undefined) return
    retryTimer = setTimeout(() => {
      retryTimer = undefined
      void connect()
    }, delayMs)
    delayMs = Math.min(delayMs * 2, maxDelayMs)
  }

  const connect = async (): Promise<void> => {
    const candidate = new pg.Client({ connectionString: options.connectionString, keepAlive: true })
    let lost = false
    const drop = (error?: unknown): void => {
      if (lost) return
      lost = true
      if (error !== undefined) onError(error)
      if (client === candidate) client = undefined
      candidate.removeListener('notification', onNotification)
      candidate.end().catch(() => undefined)
      scheduleReconnect()
    }
    candidate.on('error', drop)
    candidate.on('end', () => drop())
    candidate.on('notification', onNotification)
    try {
      await candidate.connect()
      await candidate.query(`LISTEN ${channel}`)
    } catch (error) {
      return drop(error)
    }
    if (closed) {
      await candidate.end().catch(() => undefined)
      return
    }
    client = candidate
    delayMs = initialDelayMs
    // Anything sent while no listener was connected is lost: start clean.
    if (everConnected) subscribers.deliver({ kind: 'all' })
    everConnected = true
    resolveReady()
  }

  const start = (): void => {
    if (started || closed) return
    started = true
    void connect()
  }

  return {
    transport: 'postgres-listen-notify',
    publish: async (message: InvalidationMessage) => {
      assertInvalidationMessage(message)
      subscribers.deliver(message)
      try {
        await notifyChannel(options.db, {
          channel,
          payload: encodeInvalidation({ origin, message }),
        })
      } catch (error) {
        onError(error)
      }
    },
    subscribe: (handler) => {
      const unsubscribe = subscribers.add(handler)
      start()
      return unsubscribe
    },
    ready: () => {
      start()
      return ready
    },
    close: async () => {
      closed = true
      clearTimeout(retryTimer)
      const current = client
      client = undefined
      await current?.end().catch(() => undefined)
    },
  }
}
