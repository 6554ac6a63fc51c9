import { randomBytes } from 'node:crypto'
import type {
  InvalidationErrorHandler,
  InvalidationHandler,
  InvalidationMessage,
} from './cache-invalidation.js'

/** The handlers of one transport, each isolated from the others' failures. */
export interface SubscriberSet {
  add(handler: InvalidationHandler): () => void
  deliver(message: InvalidationMessage): void
  readonly size: number
}

/** Handlers run in subscription order; a throw goes to `onError` and the next one still runs. */
export function createSubscriberSet(onError: InvalidationErrorHandler): SubscriberSet {
  const handlers = new Set<InvalidationHandler>()
  return {
    add: (handler) => {
      // Wrapped so one function subscribed twice gets two subscriptions, each removable.
      const subscription: InvalidationHandler = (message) => handler(message)
      handlers.add(subscription)
      return () => {
        handlers.delete(subscription)
      }
    },
    deliver: (message) => {
      for (const handler of handlers) {
        try {
          handler(message)
        } catch (error) {
          onError(error)
        }
      }
    },
    get size() {
      return handlers.size
    },
  }
}

/** A random ID for one transport instance, carried in its messages to recognise its echo. */
export function newOriginId(): string {
  return randomBytes(8).toString('hex')
}

/** The default error handler: drop. Composition roots pass a logger-backed one. */
export const ignoreInvalidationError: InvalidationErrorHandler = () => undefined
