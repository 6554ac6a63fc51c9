/**
 * Group commit: callers submit items one by one; items are written in batches (one transaction
 * per batch, every `maxDelayMs` or as soon as `maxBatch` are waiting), and each caller's promise
 * settles only when its batch has committed, or rejects with the batch's error. One batch is in
 * flight at a time; the next one gathers meanwhile, so batches grow under load by themselves.
 */
export interface GroupCommit<TItem, TResult> {
  submit(item: TItem): Promise<TResult>
  /** Write everything submitted so far; resolves when it is committed (or has failed). */
  flush(): Promise<void>
  /** Items waiting or being written. */
  pending(): number
}

interface Waiting<TItem, TResult> {
  item: TItem
  resolve: (result: TResult) => void
  reject: (err: unknown) => void
}

export function createGroupCommit<TItem, TResult>(options: {
  /** Write the items in one transaction; return one result per item, in order. */
  commit: (items: readonly TItem[]) => Promise<readonly TResult[]>
  /** @default 128 */
  maxBatch?: number
  /** @default 2 */
  maxDelayMs?: number
}): GroupCommit<TItem, TResult> {
  const maxBatch = options.maxBatch ?? 128
  const maxDelayMs = options.maxDelayMs ?? 2
  let queue: Waiting<TItem, TResult>[] = []
  let inFlight: Promise<void> | null = null
  let inFlightCount = 0
  let timer: NodeJS.Timeout | null = null

  function schedule(): void {
    if (inFlight || timer) return
    if (queue.length >= maxBatch) {
      start()
      return
    }
    timer = setTimeout(() => {
      timer = null
      start()
    }, maxDelayMs)
  }

  function start(): void {
    if (inFlight || queue.length === 0) return
    const batch = queue.slice(0, maxBatch)
    queue = queue.slice(batch.length)
    inFlightCount = batch.length
    inFlight = run(batch).finally(() => {
      inFlight = null
      inFlightCount = 0
      // What arrived while this batch committed is the next batch: write it at once (after the
      // callers woken by this commit had their turn to add to it). The delay only applies to
      // the first item after the writer was idle.
      if (queue.length > 0) setImmediate(start)
    })
  }

  async function run(batch: Waiting<TItem, TResult>[]): Promise<void> {
    try {
      const results = await options.commit(batch.map((w) => w.item))
      if (results.length !== batch.length) throw new Error('group commit: result count mismatch')
      batch.forEach((w, i) => w.resolve(results[i]!))
    } catch (err) {
      for (const w of batch) w.reject(err)
    }
  }

  return {
    submit: (item) =>
      new Promise<TResult>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (queue.length >= maxBatch && timer) {
          clearTimeout(timer)
          timer = null
        }
        schedule()
      }),
    flush: async () => {
      while (inFlight || queue.length > 0) {
        if (timer) {
          clearTimeout(timer)
          timer = null
        }
        if (!inFlight) start()
        await inFlight
        // Let a follow-up batch scheduled by the one that just finished start (or run here).
        await new Promise((resolve) => setImmediate(resolve))
      }
    },
    pending: () => queue.length + inFlightCount,
  }
}
