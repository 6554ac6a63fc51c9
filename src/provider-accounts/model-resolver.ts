import type { CacheInvalidation } from '../invalidation/index.js'
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
  const onError = options.onError ?? (() => undefined)
  let table: ModelTable = EMPTY_MODEL_TABLE
  // Loads run one at a time. A reload asked for during a load gets a fresh load after it, so a
  // change committed while the old state was being read is never missed.
  let requested = 0
  let completed = 0
  let loading = false
  const waiters: { upTo: number; resolve: () => void }[] = []

  // `loading` is cleared in the same synchronous step that finds nothing left to load, so a
  // reload asked for right after always starts a new loop.
  const runLoads = async () => {
    loading = true
    try {
      while (completed < requested) {
        const target = requested
        try {
          table = buildModelTable(await options.loadAccounts())
        } catch (err) {
          onError(err)
        }
        completed = target
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i]!.upTo <= completed) waiters.splice(i, 1)[0]!.resolve()
        }
      }
    } finally {
      loading = false
    }
  }

  const reload = (): Promise<void> => {
    requested += 1
    const upTo = requested
    const done = new Promise<void>((resolve) => waiters.push({ upTo, resolve }))
    if (!loading) void runLoads()
    return done
  }

  const first = reload()
  const unsubscribe = options.invalidation.subscribe((message) => {
    if (message.kind === 'provider-account' || message.kind === 'all') void reload()
  })
  const intervalMs = options.refreshIntervalMs ?? 60_000
  const timer = intervalMs > 0 ? setInterval(() => void reload(), intervalMs) : undefined
  timer?.unref()

  return {
    resolve: (model) => resolveModel(table, model),
    listModels: () => table.listed,
    ready: () => first,
    reload,
    stop: () => {
      unsubscribe()
      if (timer !== undefined) clearInterval(timer)
    },
  }
}
