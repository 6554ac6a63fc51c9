import type { CacheInvalidation } from '../invalidation/index.js'
import { createReloader } from '../lib/reloader.js'
import {
  EMPTY_MODEL_TABLE,
  buildModelTable,
  resolveModel,
  type ListedModel,
  type ModelTable,
  type ResolvedModel,
  type RoutableAccount,
} from './resolve-model.js'

/**
 * The model → provider account mapping the `/v1` proxy uses until versioned route policies
 * land. Lookups are synchronous and in memory; the table is rebuilt at start, on every
 * `provider-account` (or `all`) invalidation, and on a slow timer as a backstop.
 */
export interface ProviderModelResolver {
  /** The account and upstream model for a requested model, or undefined. No I/O. */
  resolve(model: string): ResolvedModel | undefined
  /** Exact names and aliases of active accounts, sorted (prefix patterns cannot be listed). */
  listModels(): readonly ListedModel[]
  /** Resolves once the first load has finished (successfully or not). */
  ready(): Promise<void>
  /** Reload now; resolves when a load that started after this call has finished. Never rejects. */
  reload(): Promise<void>
  /** Stop listening and stop the timer. */
  stop(): void
}

export interface ProviderModelResolverOptions {
  /** Every account, credentials decrypted (see ProviderAccountsService.loadRoutableAccounts). */
  loadAccounts: () => Promise<readonly RoutableAccount[]>
  invalidation: Pick<CacheInvalidation, 'subscribe'>
  /** Backstop reload for a missed invalidation message; 0 turns it off. @default 60000 */
  refreshIntervalMs?: number
  /** A failed load keeps the previous table; this hears about it. */
  onError?: (err: unknown) => void
}

/**
 * @example
 * const resolver = createModelResolver({ loadAccounts: providerAccounts.loadRoutableAccounts, invalidation })
 * await resolver.ready()
 * const target = resolver.resolve(body.model) // undefined: 404 model_not_found
 */
export function createModelResolver(options: ProviderModelResolverOptions): ProviderModelResolver {
  const tables = createReloader<ModelTable>({
    initial: EMPTY_MODEL_TABLE,
    load: async () => buildModelTable(await options.loadAccounts()),
    subscribe: (reload) =>
      options.invalidation.subscribe((message) => {
        if (message.kind === 'provider-account' || message.kind === 'all') reload()
      }),
    ...(options.refreshIntervalMs !== undefined
      ? { refreshIntervalMs: options.refreshIntervalMs }
      : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  })
  return {
    resolve: (model) => resolveModel(tables.current(), model),
    listModels: () => tables.current().listed,
    ready: tables.ready,
    reload: tables.reload,
    stop: tables.stop,
  }
}
