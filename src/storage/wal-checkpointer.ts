import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/** Slots of the buffer the gateway and the checkpoint thread share (Int32 each). */
const COMMITS = 0
const STOP = 1

export interface WalCheckpointerOptions {
  /** Wait at least this long between two passes (each pass may fsync the database file). */
  passIntervalMs?: number
  /** With no commit announced, still look at the WAL this often (admin changes, jobs). */
  idleIntervalMs?: number
  /** A WAL file larger than this is checkpointed with TRUNCATE, which may make writers wait. */
  truncateAboveBytes?: number
  /** The thread failed or exited on its own; the caller turns automatic checkpoints back on. */
  onFailure: (err: unknown) => void
}

/** The checkpoint thread of one SQLite file, as the gateway's main thread sees it. */
export interface WalCheckpointer {
  /** A transaction committed to the WAL: wake the thread (an atomic add; no message, no clone). */
  readonly committed: () => void
  /** Stop the thread and wait for it to close its connection. */
  close(): Promise<void>
}

/**
 * Run SQLite's WAL checkpoints on a thread of their own, for the long-running gateway.
 *
 * A checkpoint copies WAL pages into the database file and fsyncs it. SQLite's automatic
 * checkpoint does that inside the COMMIT that crosses 1,000 WAL pages, on whatever thread
 * commits: with better-sqlite3, the event loop (measured: about 0.17 ms of event-loop time per
 * priced request). The caller sets `wal_autocheckpoint = 0` on its connection and starts this:
 * a worker thread with its own connection to the same file runs `wal_checkpoint(PASSIVE)`, which
 * WAL mode lets run beside readers and the writer, after commits and on an idle interval.
 *
 * Durability is SQLite's: a checkpoint only copies committed frames, fsyncs the WAL before and
 * the database file after copying (this connection stays at `synchronous = FULL`), and only then
 * lets a writer reuse the WAL. PASSIVE never waits, so under sustained writes it may never catch
 * up with the end of the WAL, and then the next writer cannot start the WAL over; when the file
 * has grown past `truncateAboveBytes` the thread runs `wal_checkpoint(TRUNCATE)` instead, which
 * takes the write lock (a gateway write meanwhile waits in its busy timeout, as it would beside
 * a CLI command writing) and leaves an empty WAL. Its own busy timeout is short: a pass that
 * cannot get the lock gives up and the next one tries again.
 *
 * The worker is inline code (`eval`) that only requires better-sqlite3, resolved here by path,
 * so it runs the same from dist/, under tsx and under vitest. It is unref'd, so it never keeps
 * the process alive; `close()` refs it again and waits until it has closed its connection (the
 * caller closes its own after, which then runs SQLite's final checkpoint and removes the WAL).
 */
export function startWalCheckpointer(
  path: string,
  options: WalCheckpointerOptions,
): WalCheckpointer {
  const state = new Int32Array(new SharedArrayBuffer(8))
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      state,
      path,
      betterSqlite3: createRequire(import.meta.url).resolve('better-sqlite3'),
      passIntervalMs: options.passIntervalMs ?? 100,
      idleIntervalMs: options.idleIntervalMs ?? 1_000,
      truncateAboveBytes: options.truncateAboveBytes ?? 16 * 1024 * 1024,
    },
  })
  worker.unref()
  let closing = false
  let failed = false
  const fail = (err: unknown) => {
    if (closing || failed) return
    failed = true
    options.onFailure(err)
  }
  const exited = new Promise<void>((done) => worker.once('exit', () => done()))
  worker.on('error', fail)
  worker.once('exit', (code) => fail(new Error(`WAL checkpoint thread exited (code ${code})`)))
  return {
    committed: () => {
      Atomics.add(state, COMMITS, 1)
      Atomics.notify(state, COMMITS)
    },
    close: async () => {
      closing = true
      // Held while it stops: an unref'd worker's exit would not keep the process alive, and a
      // shutdown awaiting it would end mid-way (the rest of the close never run).
      worker.ref()
      Atomics.store(state, STOP, 1)
      Atomics.notify(state, COMMITS)
      Atomics.notify(state, STOP)
      await exited
    },
  }
}

/**
 * The thread. Plain CommonJS (an eval worker), synchronous on purpose: it sleeps in Atomics.wait
 * until the gateway announces a commit, the idle interval passes, or it is told to stop.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads')
const { statSync } = require('node:fs')
const Database = require(workerData.betterSqlite3)
const { state, path, passIntervalMs, idleIntervalMs, truncateAboveBytes } = workerData
const COMMITS = ${COMMITS}
const STOP = ${STOP}
const db = new Database(path)
db.pragma('synchronous = FULL')
db.pragma('busy_timeout = 50')
const walBytes = () => {
  try { return statSync(path + '-wal').size } catch { return 0 }
}
const checkpoint = (mode) => {
  try {
    const row = db.pragma('wal_checkpoint(' + mode + ')')[0]
    return row.busy === 0 && row.log === row.checkpointed
  } catch (err) {
    if (err && err.code === 'SQLITE_BUSY') return false
    throw err
  }
}
let seen = Atomics.load(state, COMMITS)
let caughtUp = true
try {
  while (Atomics.load(state, STOP) === 0) {
    // Behind (the last pass could not reach the end of the WAL): do not wait for a commit.
    if (caughtUp) Atomics.wait(state, COMMITS, seen, idleIntervalMs)
    if (Atomics.load(state, STOP) !== 0) break
    seen = Atomics.load(state, COMMITS)
    caughtUp = walBytes() > truncateAboveBytes ? checkpoint('TRUNCATE') : checkpoint('PASSIVE')
    Atomics.wait(state, STOP, 0, passIntervalMs)
  }
} finally {
  db.close()
}
`
