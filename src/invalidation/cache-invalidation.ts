/**
 * The `CacheInvalidation` port: tells every gateway instance (this one included) that cached
 * state changed, so a revoked key stops working everywhere within a second (DESIGN: Storage).
 *
 * Transports: `local` (one process), `sqlite-change-counter` (the gateway polls a change log the
 * CLI writes to on the same SQLite file), `postgres-listen-notify` and `redis-pubsub` (several
 * instances). Each delivers a publish to this process's subscribers at once, and to other
 * instances through its channel.
 */
export const INVALIDATION_KINDS = [
  'key',
  'organization',
  'route-policy',
  'budget-policy',
  'price-table',
  'provider-account',
  'all',
] as const
export type InvalidationKind = (typeof INVALIDATION_KINDS)[number]

/** What changed: one thing by ID, or `all` (drop every cache). */
export type InvalidationMessage =
  | { readonly kind: Exclude<InvalidationKind, 'all'>; readonly id: string }
  | { readonly kind: 'all' }

export const INVALIDATION_TRANSPORTS = [
  'local',
  'sqlite-change-counter',
  'postgres-listen-notify',
  'redis-pubsub',
] as const
export type InvalidationTransport = (typeof INVALIDATION_TRANSPORTS)[number]

/** Acts on one message. Runs synchronously on delivery; a throw is reported, never propagated. */
export type InvalidationHandler = (message: InvalidationMessage) => void

/** One transport's view of the invalidation channel: publish, subscribe, close. */
export interface CacheInvalidation {
  readonly transport: InvalidationTransport
  /**
   * Tell every instance. Call it only after the change committed (see `publishAfterCommit`),
   * never inside a transaction: an instance that reloads before the commit would cache the old
   * state again, and on SQLite the call would wait forever for the connection its own
   * transaction holds. Subscribers in
   * this process run before it resolves. A transport failure is reported through `onError`,
   * not thrown: the change is already committed, and the caches' TTL bounds the staleness.
   */
  publish(message: InvalidationMessage): Promise<void>
  /** Receive every message from now on. Starts the listener on first use. */
  subscribe(handler: InvalidationHandler): () => void
  /**
   * Resolves once messages from other instances are being received (listener connected,
   * change-log baseline read). Never rejects: a transport keeps retrying and reports through
   * `onError`, so callers that must not wait race it with a timeout.
   */
  ready(): Promise<void>
  /** Stop listening and release connections this transport opened (never shared clients). */
  close(): Promise<void>
}

/** Reports a transport problem (log at warn, count in a metric). */
export type InvalidationErrorHandler = (error: unknown) => void
