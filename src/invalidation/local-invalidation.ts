import type { CacheInvalidation, InvalidationErrorHandler } from './cache-invalidation.js'
import { assertInvalidationMessage } from './encode-invalidation.js'
import { createSubscriberSet, ignoreInvalidationError } from './subscriber-set.js'

/**
 * In-process invalidation: for a single gateway process whose database no other process
 * writes (tests, an in-memory SQLite). Subscribers run synchronously inside `publish`.
 */
export function createLocalInvalidation(
  options: { onError?: InvalidationErrorHandler } = {},
): CacheInvalidation {
  const subscribers = createSubscriberSet(options.onError ?? ignoreInvalidationError)
  return {
    transport: 'local',
    publish: (message) =>
      new Promise<void>((resolve) => {
        assertInvalidationMessage(message) // a throw in the executor rejects the promise
        subscribers.deliver(message)
        resolve()
      }),
    subscribe: (handler) => subscribers.add(handler),
    ready: () => Promise.resolve(),
    close: () => Promise.resolve(),
  }
}
