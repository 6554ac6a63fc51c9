import type { InvalidationMessage } from '../invalidation/index.js'
import type { Clock } from '../lib/clock.js'
import type { KeyHashes } from './key-secret.js'

/**
 * The least a cached key must carry for authentication and invalidation. The keys service
 * extends it with scopes, environment, label, rate limits and whatever else the request path
 * reads, so a cache hit needs no database at all.
 */
export interface CachedKey extends KeyHashes {
  readonly keyId: string
  readonly organizationId: string
  /** Epoch ms after which the key no longer works; null: never expires. */
  readonly expiresAtMs?: number | null | undefined
  /** Epoch ms of revocation; null: not revoked. Revoked keys may be cached to answer fast. */
  readonly revokedAtMs?: number | null | undefined
}

export interface KeyCacheOptions {
  clock: Clock
  /** Keys kept at most; the least recently used goes first. @default 10000 */
  maxEntries?: number
  /**
   * How long a key is trusted without a reload, a backstop for an invalidation message that
   * never arrived (a crash between commit and publish, a partitioned instance). @default 60000
   */
  ttlMs?: number
  /** Unknown key IDs remembered at most, kept apart so a flood cannot evict real keys. @default 10000 */
  maxUnknownEntries?: number
  /** How long an unknown key ID is answered from memory. @default 5000 */
  unknownTtlMs?: number
}

/** A cache answer: the key, a key ID known not to exist, or nothing known. */
export type KeyCacheLookup<TKey> =
  | { readonly status: 'hit'; readonly key: TKey }
  | { readonly status: 'unknown' }
  | { readonly status: 'miss' }

/** Counters for `/metrics`. */
export interface KeyCacheStats {
  hits: number
  unknownHits: number
  misses: number
  loads: number
  evictions: number
}

/**
 * Bounded in-memory cache of authenticated keys by key ID, plus negative entries for key IDs
 * the database does not know. Invalidation is by key, by organization, or all at once; wire it
 * to a `CacheInvalidation` subscription so a revocation reaches every instance.
 */
export interface KeyCache<TKey extends CachedKey> {
  /** Synchronous lookup: the hot path on a hit costs a Map read and no promise. */
  peek(keyId: string): KeyCacheLookup<TKey>
  /**
   * The key for `keyId`, from memory or through `load` (which returns undefined for an unknown
   * ID). Concurrent loads of one ID share a single call. A load that overlaps an invalidation
   * is returned but not cached, so a reload never resurrects the state just invalidated.
   */
  load(keyId: string, load: (keyId: string) => Promise<TKey | undefined>): Promise<TKey | undefined>
  /** Store a key read elsewhere (the service, right after creating it). */
  set(key: TKey): void
  invalidate(keyId: string): void
  invalidateOrganization(organizationId: string): void
  clear(): void
  readonly size: number
  stats(): KeyCacheStats
}

interface Entry<TKey> {
  key: TKey
  cachedAtMs: number
}

/**
 * @example
 * const cache = createKeyCache<ApiKeyRecord>({ clock })
 * invalidation.subscribe((message) => invalidateKeyCache(cache, message))
 * const key = await cache.load(parsed.keyId, (id) => findKeyByLookupId(db, id))
 */
export function createKeyCache<TKey extends CachedKey>(options: KeyCacheOptions): KeyCache<TKey> {
  const { clock } = options
  const maxEntries = options.maxEntries ?? 10_000
  const ttlMs = options.ttlMs ?? 60_000
  const maxUnknown = options.maxUnknownEntries ?? 10_000
  const unknownTtlMs = options.unknownTtlMs ?? 5_000
  // Map order is insertion order: re-inserting on a hit makes the first entry the least recent.
  const keys = new Map<string, Entry<TKey>>()
  const unknown = new Map<string, number>()
  const byOrganization = new Map<string, Set<string>>()
  const inFlight = new Map<string, Promise<TKey | undefined>>()
  const stats: KeyCacheStats = { hits: 0, unknownHits: 0, misses: 0, loads: 0, evictions: 0 }
  // Bumped by every invalidation; a load that started under an older epoch does not store.
  let epoch = 0

  const forget = (keyId: string): void => {
    const entry = keys.get(keyId)
    if (entry === undefined) return
    keys.delete(keyId)
    const siblings = byOrganization.get(entry.key.organizationId)
    siblings?.delete(keyId)
    if (siblings?.size === 0) byOrganization.delete(entry.key.organizationId)
  }

  const store = (key: TKey): void => {
    forget(key.keyId)
    unknown.delete(key.keyId)
    keys.set(key.keyId, { key, cachedAtMs: clock.nowMs() })
    let siblings = byOrganization.get(key.organizationId)
    if (siblings === undefined) byOrganization.set(key.organizationId, (siblings = new Set()))
    siblings.add(key.keyId)
    while (keys.size > maxEntries) {
      forget(keys.keys().next().value!)
      stats.evictions++
    }
  }

  const storeUnknown = (keyId: string): void => {
    unknown.delete(keyId)
    unknown.set(keyId, clock.nowMs() + unknownTtlMs)
    while (unknown.size > maxUnknown) unknown.delete(unknown.keys().next().value!)
  }

  const peek = (keyId: string): KeyCacheLookup<TKey> => {
    const now = clock.nowMs()
    const entry = keys.get(keyId)
    if (entry !== undefined) {
      if (now - entry.cachedAtMs < ttlMs) {
        keys.delete(keyId)
        keys.set(keyId, entry)
        stats.hits++
        return { status: 'hit', key: entry.key }
      }
      forget(keyId)
    }
    const unknownUntil = unknown.get(keyId)
    if (unknownUntil !== undefined) {
      if (now < unknownUntil) {
        stats.unknownHits++
        return { status: 'unknown' }
      }
      unknown.delete(keyId)
    }
    stats.misses++
    return { status: 'miss' }
  }

  const load: KeyCache<TKey>['load'] = async (keyId, loader) => {
    const cached = peek(keyId)
    if (cached.status === 'hit') return cached.key
    if (cached.status === 'unknown') return undefined
    const pending = inFlight.get(keyId)
    if (pending !== undefined) return pending
    const startedAt = epoch
    const loading = (async () => {
      stats.loads++
      try {
        const key = await loader(keyId)
        if (epoch === startedAt) {
          if (key === undefined) storeUnknown(keyId)
          else store(key)
        }
        return key
      } finally {
        inFlight.delete(keyId)
      }
    })()
    inFlight.set(keyId, loading)
    return loading
  }

  return {
    peek,
    load,
    set: store,
    invalidate: (keyId) => {
      epoch++
      forget(keyId)
      unknown.delete(keyId)
      inFlight.delete(keyId)
    },
    invalidateOrganization: (organizationId) => {
      epoch++
      for (const keyId of byOrganization.get(organizationId) ?? []) forget(keyId)
      // In-flight loads cannot be told apart by organization before they finish; the epoch
      // bump already keeps their results out of the cache.
      inFlight.clear()
    },
    clear: () => {
      epoch++
      keys.clear()
      unknown.clear()
      byOrganization.clear()
      inFlight.clear()
    },
    get size() {
      return keys.size
    },
    stats: () => ({ ...stats }),
  }
}

/**
 * Apply one invalidation message to a key cache: a key, every key of an organization, or
 * everything. Policy messages are not about keys and are ignored.
 * @example invalidation.subscribe((message) => invalidateKeyCache(cache, message))
 */
export function invalidateKeyCache(
  cache: Pick<KeyCache<CachedKey>, 'invalidate' | 'invalidateOrganization' | 'clear'>,
  message: InvalidationMessage,
): void {
  switch (message.kind) {
    case 'key':
      return cache.invalidate(message.id)
    case 'organization':
      return cache.invalidateOrganization(message.id)
    case 'all':
      return cache.clear()
    case 'route-policy':
    case 'budget-policy':
    case 'price-table':
    case 'provider-account':
      return
  }
}
