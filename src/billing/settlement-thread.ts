import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import {
  CommitOutcomeUnknownError,
  createGroupCommit,
  type CommittedBatch,
} from './group-commit.js'
import type { LedgerEntry } from './ledger-entry.js'
import type { RequestRecord, SettlementWriter } from './settlement-writer.js'

/** What the thread is started with (structured-cloned into it). */
export interface SettlementThreadData {
  path: string
  busyTimeoutMs: number
  /** Usage events go to the webhook outbox too (`webhooks.topics` has `usage`). */
  usageOutbox: boolean
}

export type ThreadRequest =
  { kind: 'commit'; id: number; records: readonly RequestRecord[] } | { kind: 'close' }

/**
 * A batch is answered once, when it is durable (its results) or has failed. The thread's
 * connection commits at `synchronous = FULL`: its COMMIT returns once the WAL is on disk.
 */
export type ThreadReply =
  | { kind: 'ready' }
  | { id: number; kind: 'durable'; results: (LedgerEntry | null)[] }
  | { id: number; kind: 'failed'; error: ThreadError }

export interface ThreadError {
  name: string
  message: string
  code?: string
}

export interface SettlementThreadOptions extends Omit<SettlementThreadData, 'busyTimeoutMs'> {
  busyTimeoutMs?: number
  maxBatch?: number
  maxDelayMs?: number
  /**
   * Writes a batch on the event loop's own connection: used once the thread has failed (it could
   * not open the file, say), so settlements keep being written.
   */
  fallback: (records: readonly RequestRecord[]) => Promise<CommittedBatch<LedgerEntry | null>>
  /** The thread failed or exited on its own (for the log); later batches use `fallback`. */
  onFailure: (err: unknown) => void
}

export interface SettlementThread {
  writer: SettlementWriter
  /** Write what was submitted, then stop the thread and wait until its connection is closed. */
  close(): Promise<void>
  /**
   * Stop the thread at once, as a crash would: batches in flight fail with their outcome
   * unknown, later ones go to `fallback`. For the crash tests.
   */
  terminate(): Promise<void>
}

/**
 * The settlement group commit, with its transactions on a worker thread.
 *
 * A batch's SQLite work (locking the write lock, the account rows, inserting its ledger entries
 * and usage events, committing) was the largest single cost on the event loop of a priced
 * request: better-sqlite3 is synchronous, so every statement of the batch held up every request
 * of the process. Here the event loop only gathers the batch (the group commit, as before) and
 * posts it; the thread runs `commitRecords` on a connection of its own to the same file and
 * answers once the batch is durable, and the event loop wakes each request's caller. Nothing
 * changes for the money: the same function writes the same rows in one transaction, the
 * response's last byte still waits for the answer, and in-process balances (memory holds) were
 * decided before the batch was posted, as they are without the thread.
 *
 * The thread's COMMIT flushes the WAL itself (`synchronous = FULL`, createDb's
 * `sqliteCommitFlush: 'inline'`) and the batch is answered once, durable. The event loop's own
 * commits cannot block on the disk and flush on libuv's pool instead; here that would cost two
 * more wake-ups between threads per batch (to the pool and back), each ~0.5 ms on a loaded
 * 2-core machine, for an overlap of flush and next transaction the thread does not need: it is
 * idle most of the time, and the batch behind waits in its queue meanwhile.
 *
 * SQLite only, one process owning the file (memory holds). The event loop's connection still
 * writes everything else (admin changes, jobs); WAL mode lets the two connections read beside
 * each other, and writers take turns with their busy timeouts. If the thread fails, the batch it
 * held is rejected with `CommitOutcomeUnknownError` (its requests fail as on a database error;
 * whether it committed is unknown, so the balance book keeps its debits, and its idempotency keys
 * make a retry safe) and later batches are written on the event loop's connection.
 *
 * The thread runs the compiled module from dist/; under tsx or vitest (a `.ts` module) it loads
 * the TypeScript source through tsx's loader.
 */
export function startSettlementThread(options: SettlementThreadOptions): SettlementThread {
  const workerData: SettlementThreadData = {
    path: options.path,
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    usageOutbox: options.usageOutbox,
  }
  const worker = import.meta.url.endsWith('.ts')
    ? new Worker(throughTsx(new URL('./settlement-thread.worker.ts', import.meta.url)), {
        eval: true,
        workerData,
      })
    : new Worker(new URL('./settlement-thread.worker.js', import.meta.url), { workerData })
  // Idle, the thread keeps nothing alive; a batch in flight does (see `call`).
  worker.unref()
  let nextId = 1
  /** Batches sent and not yet durable: the first reply settles `committed`, the second `durable`. */
  const calls = new Map<number, InFlight>()
  let failure: Error | null = null
  /** The thread has opened its connection: before that, no batch can have been written. */
  let ready = false
  let closing = false
  const exited = new Promise<void>((done) => worker.once('exit', () => done()))

  const fail = (err: unknown) => {
    if (failure !== null) return
    failure = asError(err)
    // Before the thread opened the database nothing it was sent can have been written: those
    // batches go to the event loop's connection. After, a batch not answered may or may not
    // have committed, and its callers are told so (idempotency keys make a retry safe).
    for (const call of calls.values()) {
      if (ready) call.fail(new CommitOutcomeUnknownError(failure))
      else call.redo(options.fallback)
    }
    calls.clear()
    worker.unref()
    if (!closing) options.onFailure(failure)
  }
  worker.on('error', fail)
  worker.once('exit', (code) => fail(new Error(`settlement thread exited (code ${code})`)))
  worker.on('message', (reply: ThreadReply) => {
    if (reply.kind === 'ready') {
      ready = true
      return
    }
    const call = calls.get(reply.id)
    if (call === undefined) return
    calls.delete(reply.id)
    if (calls.size === 0) worker.unref()
    if (reply.kind === 'durable') call.durable(reply.results)
    else call.fail(Object.assign(new Error(reply.error.message), reply.error))
  })

  function call(records: readonly RequestRecord[]): Promise<CommittedBatch<LedgerEntry | null>> {
    const id = nextId++
    const inFlight = inFlightBatch(records)
    calls.set(id, inFlight)
    worker.ref()
    worker.postMessage({ kind: 'commit', id, records } satisfies ThreadRequest)
    return inFlight.result
  }

  const writer = createGroupCommit<RequestRecord, LedgerEntry | null>({
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
    // One batch at a time: the next gathers on the event loop until this one is durable, then
    // goes over in one message. (Two in flight measured ~5% fewer requests per second: smaller
    // batches, a message and a wake-up more for the same settlements.)
    commit: (records) => (failure === null ? call(records) : options.fallback(records)),
  })

  return {
    writer,
    close: async () => {
      await writer.flush()
      closing = true
      if (failure !== null) return
      worker.ref()
      worker.postMessage({ kind: 'close' } satisfies ThreadRequest)
      await exited
    },
    terminate: async () => {
      await worker.terminate()
      await exited
    },
  }
}

interface InFlight {
  /** Settles once the batch is durable (with its results), or has failed. */
  result: Promise<CommittedBatch<LedgerEntry | null>>
  durable(results: (LedgerEntry | null)[]): void
  fail(err: Error): void
  /** Never reached the database: write it with `writer` instead. */
  redo(writer: SettlementThreadOptions['fallback']): void
}

const DURABLE: Promise<void> = Promise.resolve()

function inFlightBatch(records: readonly RequestRecord[]): InFlight {
  let resolveResult!: (batch: CommittedBatch<LedgerEntry | null>) => void
  let rejectResult!: (err: Error) => void
  return {
    result: new Promise((resolve, reject) => {
      resolveResult = resolve
      rejectResult = reject
    }),
    durable: (results) => resolveResult({ results, durable: DURABLE }),
    fail: (err) => rejectResult(err),
    redo: (writer) => {
      writer(records).then(resolveResult, rejectResult)
    },
  }
}

function asError(err: unknown): Error {
  if (err instanceof Error) return err
  const message = (err as { message?: unknown } | null)?.message
  return Object.assign(new Error(typeof message === 'string' ? message : String(err)), {
    cause: err,
  })
}

/**
 * A thread started from the TypeScript sources (tests, `npm run dev`): a bootstrap that
 * registers tsx's loader in the thread, then imports the worker module through it.
 */
function throughTsx(module: URL): string {
  // tsx's ESM API (its `import` export); the require export resolves paths against the caller.
  const tsx = dirname(createRequire(import.meta.url).resolve('tsx/package.json'))
  const api = pathToFileURL(join(tsx, 'dist', 'esm', 'api', 'index.mjs')).href
  return `import(${JSON.stringify(api)})
  .then(({ register }) => { register(); return import(${JSON.stringify(module.href)}) })
  .catch((err) => { setImmediate(() => { throw err }) })`
}
