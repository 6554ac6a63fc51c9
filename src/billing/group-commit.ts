import { createInFlight } from '../lib/in-flight.js'

/**
 * Group commit: callers submit items one by one; items are written in batches (one transaction
 * per batch, every `maxDelayMs` or as soon as `maxBatch` are waiting), and each caller's promise
 * settles only when its batch is durable, or rejects with the batch's error. One transaction is
 * in flight at a time; the next batch gathers meanwhile, so batches grow under load by
 * themselves.
 *
 * A commit may answer in two steps (`CommittedBatch`): the transaction has committed, and its
 * flush to disk is still running. The next batch's transaction then starts at once instead of
 * waiting out the flush (SQLite: the WAL's fdatasync on libuv's pool), and each batch's callers
 * are woken when its own flush is done. Flushes and transactions overlap; batches never do.
 */
export interface GroupCommit<TItem, TResult> {
  submit(item: TItem): Promise<TResult>
  /** Write everything submitted so far; resolves when it is durable (or has failed). */
  flush(): Promise<void>
  /** Items waiting, being written, or written and waiting for their flush. */
  pending(): number
}

/** A transaction that has committed; `durable` settles when its flush does. */
export interface CommittedBatch<TResult> {
  results: readonly TResult[]
  durable: Promise<void>
}

/**
 * A batch's commit may have taken effect, but its callers cannot be told it is durable: its
 * flush failed after COMMIT (the rows are in the WAL, readers see them), or the thread that
 * wrote it was lost before answering. Callers must act as if it committed where that is the
 * conservative side (a debit taken from the balance book stays taken) and never acknowledge it;
 * the idempotency keys of its entries make writing it again safe.
 */
export class CommitOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super(
      `The commit's outcome is unknown: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
    this.name = 'CommitOutcomeUnknownError'
  }
}

interface Waiting<TItem, TResult> {
  item: TItem
  resolve: (result: TResult) => void
  reject: (err: unknown) => void
}

export function createGroupCommit<TItem, TResult>(options: {
  /**
   * Write the items in one transaction; return one result per item, in order — once durable,
   * or as soon as committed together with the promise of its flush.
   */
  commit: (items: readonly TItem[]) => Promise<readonly TResult[] | CommittedBatch<TResult>>
  /** @default 128 */
  maxBatch?: number
  /**
   * How long the first item after the writer was idle waits for others to join its batch; 0:
   * until the next turn of the event loop. Under load this does not matter: batches gather
   * while one commits. @default 2
   */
  maxDelayMs?: number
}): GroupCommit<TItem, TResult> {
  const maxBatch = options.maxBatch ?? 128
  const maxDelayMs = options.maxDelayMs ?? 2
  let queue: Waiting<TItem, TResult>[] = []
  /** The batch handed to `commit` and not yet committed (one at a time). */
  let committing: Promise<void> | null = null
  let inFlightCount = 0
  /** Batches committed and waiting for their flush, and how many items they hold. */
  const flushing = createInFlight()
  let flushingCount = 0
  let timer: { cancel(): void } | null = null

  function schedule(): void {
    if (committing !== null || timer) return
    if (queue.length >= maxBatch) {
      start()
      return
    }
    const fire = () => {
      timer = null
      start()
    }
    // 0: the next turn of the event loop, so what this turn submits shares the batch, and an
    // idle writer adds no wait of its own (setTimeout(0) would be ~1 ms).
    if (maxDelayMs === 0) {
      const immediate = setImmediate(fire)
      timer = { cancel: () => clearImmediate(immediate) }
    } else {
      const timeout = setTimeout(fire, maxDelayMs)
      timer = { cancel: () => clearTimeout(timeout) }
    }
  }

  function start(): void {
    if (committing !== null || queue.length === 0) return
    const batch = queue.slice(0, maxBatch)
    queue = queue.slice(batch.length)
    inFlightCount += batch.length
    committing = run(batch).finally(() => {
      committing = null
      inFlightCount -= batch.length
      // What arrived while this batch committed is the next batch: write it at once (after the
      // callers woken by this commit had their turn to add to it). The delay only applies to
      // the first item after the writer was idle.
      if (queue.length > 0) setImmediate(start)
    })
  }

  async function run(batch: Waiting<TItem, TResult>[]): Promise<void> {
    const fail = (err: unknown) => batch.forEach((w) => w.reject(err))
    let committed: readonly TResult[] | CommittedBatch<TResult>
    try {
      committed = await options.commit(batch.map((w) => w.item))
    } catch (err) {
      fail(err)
      return
    }
    const { results, durable } = Array.isArray(committed)
      ? { results: committed as readonly TResult[], durable: null }
      : (committed as CommittedBatch<TResult>)
    const answer = () => {
      if (results.length !== batch.length) fail(new Error('group commit: result count mismatch'))
      else batch.forEach((w, i) => w.resolve(results[i]!))
    }
    if (durable === null) {
      answer()
      return
    }
    // Nobody is answered, not even with an error of the batch, before its flush is done.
    flushingCount += batch.length
    void flushing.track(
      durable
        .then(answer, (err: unknown) => fail(new CommitOutcomeUnknownError(err)))
        .finally(() => {
          flushingCount -= batch.length
        }),
    )
  }

  return {
    submit: (item) =>
      new Promise<TResult>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (queue.length >= maxBatch && timer) {
          timer.cancel()
          timer = null
        }
        schedule()
      }),
    flush: async () => {
      while (committing !== null || queue.length > 0 || flushing.size > 0) {
        if (timer) {
          timer.cancel()
          timer = null
        }
        start()
        await committing
        await flushing.drain()
        // Let a follow-up batch scheduled by the one that just finished start (or run here).
        await new Promise((resolve) => setImmediate(resolve))
      }
    },
    pending: () => queue.length + inFlightCount + flushingCount,
  }
}
