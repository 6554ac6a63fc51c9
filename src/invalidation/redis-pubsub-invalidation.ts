import type { Redis } from 'ioredis'
import type {
  CacheInvalidation,
  InvalidationErrorHandler,
  InvalidationMessage,
} from './cache-invalidation.js'
import {
  assertInvalidationMessage,
  decodeInvalidation,
  encodeInvalidation,
} from './encode-invalidation.js'
import { createSubscriberSet, ignoreInvalidationError, newOriginId } from './subscriber-set.js'

export interface RedisPubSubOptions {
  /**
   * The shared client, used to PUBLISH. Subscribing takes a connection of its own, so this
   * transport duplicates it and closes only that duplicate.
   */
  redis: Redis
  /** One channel per deployment sharing a Redis. @default 'ferry:cache-invalidation' */
  channel?: string
  onError?: InvalidationErrorHandler
}

/**
 * Invalidation over Redis PUBLISH/SUBSCRIBE, for several gateways that share a Redis. ioredis
 * reconnects and resubscribes by itself; after a reconnect this delivers `all`, since messages
 * published while the subscriber was away are lost (Redis pub/sub keeps nothing).
 */
export function createRedisPubSubInvalidation(options: RedisPubSubOptions): CacheInvalidation {
  const channel = options.channel ?? 'ferry:cache-invalidation'
  const onError = options.onError ?? ignoreInvalidationError
  const origin = newOriginId()
  const subscribers = createSubscriberSet(onError)
  let subscriber: Redis | undefined
  let ready: Promise<void> | undefined
  let closed = false

  const start = (): Promise<void> => {
    if (ready !== undefined) return ready
    if (closed) return Promise.resolve()
    // The offline queue holds SUBSCRIBE until connected, even if the shared client drops commands.
    const connection = options.redis.duplicate({
      // Named, so CLIENT LIST tells an operator what this connection is.
      connectionName: `ferry-invalidation:${channel}`.replace(/[^\x21-\x7e]/g, '_'),
      enableOfflineQueue: true,
      autoResubscribe: true,
      maxRetriesPerRequest: null,
    })
    subscriber = connection
    let subscribed = false
    let lostSinceSubscribed = false
    connection.on('error', onError)
    connection.on('close', () => {
      if (subscribed) lostSinceSubscribed = true
    })
    connection.on('ready', () => {
      if (!lostSinceSubscribed) return
      lostSinceSubscribed = false
      subscribers.deliver({ kind: 'all' })
    })
    connection.on('message', (from: string, payload: string) => {
      if (from !== channel) return
      const envelope = decodeInvalidation(payload)
      if (envelope === undefined) return onError(new Error('ignored a malformed message'))
      if (envelope.origin !== origin) subscribers.deliver(envelope.message)
    })
    ready = connection.subscribe(channel).then(
      () => {
        subscribed = true
      },
      (error: unknown) => {
        // Only when closed before connecting; ioredis retries everything else itself.
        if (!closed) onError(error)
      },
    )
    return ready
  }

  return {
    transport: 'redis-pubsub',
    publish: async (message: InvalidationMessage) => {
      assertInvalidationMessage(message)
      subscribers.deliver(message)
      try {
        await options.redis.publish(channel, encodeInvalidation({ origin, message }))
      } catch (error) {
        onError(error)
      }
    },
    subscribe: (handler) => {
      const unsubscribe = subscribers.add(handler)
      void start()
      return unsubscribe
    },
    ready: start,
    close: async () => {
      closed = true
      const connection = subscriber
      subscriber = undefined
      if (connection === undefined) return
      // Redis away: QUIT would wait in the offline queue forever (shutdown must not hang).
      if (connection.status !== 'ready') return connection.disconnect()
      await connection.quit().catch(() => connection.disconnect())
    },
  }
}
