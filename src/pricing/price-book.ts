import type { CacheInvalidation } from '../invalidation/index.js'
import { ServiceUnavailableError } from '../lib/errors.js'
import { createReloader } from '../lib/reloader.js'
import type { EffectivePrice } from './compute-cost.js'
import { PriceNotConfiguredError } from './pricing-errors.js'
import type { PriceTarget } from './price-table.js'
import { EMPTY_PRICE_SNAPSHOT, resolvePrice, type PriceSnapshot } from './resolve-price.js'

/**
 * The price tables in force, in memory: the request path prices without touching the database.
 * Rebuilt at start, on every `price-table` (or `all`) invalidation, and on a slow timer.
 */
export interface PriceBook {
  /**
   * The price of `target` for `organizationId` (its override first, then the base table with
   * its markup). Null only while no price table was ever published (an unpriced deployment:
   * the caller records no cost and no version). Throws PriceNotConfiguredError (500
   * `price_not_configured`) when a table is in force but prices nothing for this model: never
   * a silent zero. Throws ServiceUnavailableError (503) until the tables were loaded once: an
   * unreadable database never looks like an unpriced deployment. No I/O.
   */
  priceFor(lookup: { organizationId: string | null; target: PriceTarget }): EffectivePrice | null
  /** The compiled versions in force (for tests and diagnostics). */
  snapshot(): PriceSnapshot
  ready(): Promise<void>
  reload(): Promise<void>
  stop(): void
}

export function createPriceBook(options: {
  loadSnapshot: () => Promise<PriceSnapshot>
  invalidation: Pick<CacheInvalidation, 'subscribe'>
  /** @default 60000 */
  refreshIntervalMs?: number
  onError?: (err: unknown) => void
}): PriceBook {
  const reloader = createReloader<PriceSnapshot>({
    initial: EMPTY_PRICE_SNAPSHOT,
    load: options.loadSnapshot,
    subscribe: (reload) =>
      options.invalidation.subscribe((message) => {
        if (message.kind === 'price-table' || message.kind === 'all') reload()
      }),
    ...(options.refreshIntervalMs !== undefined
      ? { refreshIntervalMs: options.refreshIntervalMs }
      : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  })
  return {
    priceFor: (lookup) => {
      if (!reloader.loaded())
        throw new ServiceUnavailableError('Prices are not loaded yet; retry shortly.')
      const found = resolvePrice(reloader.current(), lookup)
      if (found.ok) return found.price
      if (found.miss === 'no_price_table') return null
      throw new PriceNotConfiguredError(lookup.target)
    },
    snapshot: reloader.current,
    ready: reloader.ready,
    reload: reloader.reload,
    stop: reloader.stop,
  }
}
