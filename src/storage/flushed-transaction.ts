import { close, fdatasync, open } from 'node:fs'
import { sql } from 'kysely'
import type { Db, Tx } from './database.js'

/** A SQLite file and, once opened, a descriptor of its WAL to flush. */
interface SqliteFile {
  path: string
  wal: Promise<number> | null
  /** Told after each flushed commit (the WAL grew): the checkpoint thread, when there is one. */
  committed: () => void
  /** The fdatasync running now, and the one that will start after it (covering later commits). */
  flushing: Promise<void> | null
  queued: Promise<void> | null
}

/** SQLite files by the Kysely instance that writes them (set by createDb). */
const sqliteFiles = new WeakMap<Db, SqliteFile>()

/**
 * createDb: `db` writes the SQLite file at `path` (an in-memory database is never flushed).
 * Returns what closes the WAL descriptor, for when the database closes.
 */
export function rememberSqliteFile(
  db: Db,
  path: string,
  committed: () => void = () => undefined,
): () => Promise<void> {
  if (path === ':memory:') return () => Promise.resolve()
  const file: SqliteFile = { path, wal: null, committed, flushing: null, queued: null }
  sqliteFiles.set(db, file)
  return async () => {
    const wal = file.wal
    file.wal = null
    const fd = await wal?.catch(() => null)
    if (fd !== null && fd !== undefined) await new Promise((done) => close(fd, done))
  }
}

/**
 * One transaction, committed without holding the event loop while the disk flushes: resolves
 * once it has committed, with `durable`, which settles when the commit is on disk. Nothing may
 * be acknowledged before `durable` resolves. For the group commit of settlements: every request
 * of a batch waits for `durable` before its last byte, so durability is kept, and the process
 * serves other requests (and commits the next batch) while the disk works.
 *
 * PostgreSQL (and an in-memory SQLite database, or a file opened with `sqliteCommitFlush:
 * 'inline'`): a plain transaction, durable at commit; the server (or SQLite at `synchronous =
 * FULL`) flushes its WAL before COMMIT returns.
 *
 * SQLite: better-sqlite3 is synchronous, and at Ferry's `synchronous = FULL` its COMMIT calls
 * fsync on the event loop (3–5 ms on a VM disk, every request of the process frozen). Here the
 * connection (Kysely's SQLite driver has one, and `connection()` holds it, so nothing else runs
 * on it meanwhile) commits this one transaction at `synchronous = NORMAL` (written to the WAL,
 * not flushed; SQLite documents WAL + NORMAL as never corrupting the database) and is back at
 * FULL before anything else can use it. The WAL file is then flushed with fdatasync on libuv's
 * thread pool: once that returns, the commit is on disk exactly as FULL would have left it.
 */
export async function runCommittedTransaction<T>(
  db: Db,
  fn: (trx: Tx) => Promise<T>,
): Promise<{ result: T; durable: Promise<void> }> {
  const file = sqliteFiles.get(db)
  if (file === undefined) return { result: await db.transaction().execute(fn), durable: done }
  const result = await db.connection().execute(async (connection) => {
    await sql`pragma synchronous = normal`.execute(connection)
    try {
      return await connection.transaction().execute(fn)
    } finally {
      await sql`pragma synchronous = full`.execute(connection)
    }
  })
  const durable = requestFlush(file).then(() => file.committed())
  // Whoever holds `durable` handles its failure; this keeps an unawaited one from crashing.
  durable.catch(() => undefined)
  return { result, durable }
}

const done = Promise.resolve()

/**
 * One fdatasync covers every commit written before it started. While one runs, the commits that
 * arrive share the next (one queued at most), so a burst of batches costs two flushes, not one
 * each, and none is acknowledged before a flush that started after its commit.
 */
function requestFlush(file: SqliteFile): Promise<void> {
  if (file.flushing === null) {
    const flushing = flushCommitted(file).finally(() => {
      if (file.flushing === flushing) file.flushing = null
    })
    file.flushing = flushing
    return flushing
  }
  file.queued ??= file.flushing
    .catch(() => undefined)
    .then(() => {
      file.queued = null
      return requestFlush(file)
    })
  return file.queued
}

/**
 * fdatasync the WAL, where a commit of WAL mode lives until a checkpoint copies it (and flushes
 * the database file). The descriptor is opened once: SQLite keeps the WAL file (truncating and
 * reusing it) for as long as a connection is open, and deletes it only when the last one closes.
 */
async function flushCommitted(file: SqliteFile): Promise<void> {
  file.wal ??= openForFlush(`${file.path}-wal`)
  const fd = await file.wal.catch(async (err: unknown) => {
    file.wal = null
    // No WAL file (never expected while the connection is open): the database file then holds
    // every commit, so flush that one.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    const dbFd = await openForFlush(file.path)
    await flushFd(dbFd).finally(() => close(dbFd, () => undefined))
    return null
  })
  if (fd !== null) await flushFd(fd)
}

const flushFd = (fd: number) =>
  new Promise<void>((done, fail) => fdatasync(fd, (err) => (err ? fail(err) : done())))

const openForFlush = (path: string) =>
  new Promise<number>((done, fail) => open(path, 'r', (err, fd) => (err ? fail(err) : done(fd))))
