/**
 * An in-memory value rebuilt from storage on demand: at start, whenever `subscribe` says so (a
 * cache invalidation), and on a slow timer as a backstop. Readers get the last good value
 * synchronously, with no I/O. Loads run one at a time; a reload asked for during a load gets a
 * fresh load after it, so a change committed while the old state was being read is never
 * missed (the same discipline as the provider model resolver).
 */
export interface Reloader<T> {
  /** The last value loaded (the initial value until the first load finishes). */
  current: () => T
  /** True once a load has succeeded: until then `current()` is only the initial value. */
  loaded: () => boolean
  /** Resolves once the first load has finished (successfully or not). */
  ready: () => Promise<void>
  /** Reload now; resolves when a load that started after this call has finished. Never rejects. */
  reload: () => Promise<void>
  /** Stop listening and stop the timer. */
  stop: () => void
}

export interface ReloaderOptions<T> {
  initial: T
  load: () => Promise<T>
  /** Register `reload` with the invalidation transport; returns the unsubscribe function. */
  subscribe: (reload: () => void) => () => void
  /** Backstop reload for a missed invalidation message; 0 turns it off. @default 60000 */
  refreshIntervalMs?: number
  /** A failed load keeps the previous value; this hears about it. */
  onError?: (err: unknown) => void
}

/**
 * @example
 * const prices = createReloader({ initial: EMPTY, load: loadSnapshot, subscribe: (reload) =>
 *   invalidation.subscribe((m) => { if (m.kind === 'price-table' || m.kind === 'all') reload() }) })
 */
export function createReloader<T>(options: ReloaderOptions<T>): Reloader<T> {
  const onError = options.onError ?? (() => undefined)
  let value = options.initial
  let succeeded = false
  let requested = 0
  let completed = 0
  let loading = false
  const waiters: { upTo: number; resolve: () => void }[] = []

  const runLoads = async () => {
    loading = true
    try {
      while (completed < requested) {
        const target = requested
        try {
          value = await options.load()
          succeeded = true
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
  const unsubscribe = options.subscribe(() => void reload())
  const intervalMs = options.refreshIntervalMs ?? 60_000
  const timer = intervalMs > 0 ? setInterval(() => void reload(), intervalMs) : undefined
  timer?.unref()

  return {
    current: () => value,
    loaded: () => succeeded,
    ready: () => first,
    reload,
    stop: () => {
      unsubscribe()
      if (timer !== undefined) clearInterval(timer)
    },
  }
}
