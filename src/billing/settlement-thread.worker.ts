/**
 * The settlement thread's side (started by settlement-thread.ts): its own connection to the
 * gateway's SQLite file, on which it runs `commitRecords`, the very function the event loop's
 * writer runs, for each batch it is sent, and answers once the batch is durable.
 */
import { dirname } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { systemClock } from '../lib/clock.js'
import { createDb } from '../storage/index.js'
import { enqueueUsageEvents } from '../usage/index.js'
import { commitRecords } from './settlement-writer.js'
import type {
  SettlementThreadData,
  ThreadError,
  ThreadReply,
  ThreadRequest,
} from './settlement-thread.js'

const data = workerData as SettlementThreadData
const port = parentPort!
const database = createDb({
  url: data.path,
  dataDir: dirname(data.path),
  sqliteBusyTimeoutMs: data.busyTimeoutMs,
  // 32 MiB: the ledger's and usage events' indexes stay in memory much longer than with 2 MiB.
  sqliteCacheKiB: 32 * 1024,
  // This thread may block on the disk: its COMMIT flushes the WAL (settlement-thread.ts).
  sqliteCommitFlush: 'inline',
})
port.postMessage({ kind: 'ready' } satisfies ThreadReply)
const deps = {
  db: database.db,
  // Entries are stamped with the time read under the write lock, as on the event loop.
  clock: systemClock,
  ...(data.usageOutbox
    ? {
        onUsageRows: (trx: typeof database.db, rows: Parameters<typeof enqueueUsageEvents>[1]) =>
          enqueueUsageEvents(trx, rows, systemClock),
      }
    : {}),
}

// One transaction at a time, in the order sent (the event loop sends the next batch once this
// one is answered; a close sent meanwhile waits here for it).
let queue = Promise.resolve()
port.on('message', (message: ThreadRequest) => {
  queue = queue.then(() => handle(message))
})

async function handle(message: ThreadRequest): Promise<void> {
  if (message.kind === 'close') {
    await database.close()
    port.close()
    return
  }
  const { id } = message
  try {
    const committed = await commitRecords(deps, message.records)
    // Already settled with an inline flush: the COMMIT was durable when it returned.
    await committed.durable
    port.postMessage({
      id,
      kind: 'durable',
      results: [...committed.results],
    } satisfies ThreadReply)
  } catch (err) {
    port.postMessage({ id, kind: 'failed', error: threadError(err) } satisfies ThreadReply)
  }
}

function threadError(err: unknown): ThreadError {
  const { name, message, code } = err as { name?: unknown; message?: unknown; code?: unknown }
  return {
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : String(err),
    ...(typeof code === 'string' ? { code } : {}),
  }
}
