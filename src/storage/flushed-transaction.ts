import { open } from 'node:fs/promises'
import { sql } from 'kysely'
import type { Db, Tx } from './database.js'

/** SQLite files by the Kysely instance that writes them (set by createDb). */
const sqliteFiles = new WeakMap<Db, string>()

/** createDb: `db` writes the SQLite file at `path` (an in-memory database is never flushed). */
export function rememberSqliteFile(db: Db, path: string): void {
  if (path !== ':memory:') sqliteFiles.set(db, path)
}

/**
 * One transaction that is durable when the promise resolves, without holding the event loop
 * while the disk flushes. For the group commit of settlements: every request of the batch waits
 * for this before its last byte, so durability is kept, and the process serves other requests
 * (and gathers the next batch) while the disk works.
 *
 * PostgreSQL: a plain transaction; the server flushes its WAL before COMMIT answers, and this
 * process only awaits a socket.
 *
 * SQLite: better-sqlite3 is synchronous, and at Ferry's `synchronous = FULL` its COMMIT calls
 * fsync on the event loop (3–5 ms on a VM disk, every request of the process frozen). Here the
 * connection (Kysely's SQLite driver has one, and `connection()` holds it, so nothing else runs
 * on it meanwhile) commits this one transaction at `synchronous = NORMAL` (written to the WAL,
 * not flushed; SQLite documents WAL + NORMAL as never corrupting the database) and is back at
 * FULL before anything else can use it. The WAL file is then flushed with fdatasync on libuv's
 * thread pool: once that returns, the commit is on disk exactly as FULL would have left it.
 */
export async function runFlushedTransaction<T>(db: Db, fn: (trx: Tx) => Promise<T>): Promise<T> {
  const file = sqliteFiles.get(db)
  if (file === undefined) return db.transaction().execute(fn)
  const result = await db.connection().execute(async (connection) => {
    await sql`pragma synchronous = normal`.execute(connection)
    try {
      return await connection.transaction().execute(fn)
    } finally {
      await sql`pragma synchronous = full`.execute(connection)
    }
  })
  await flushCommitted(file)
  return result
}

/** fdatasync the WAL, where a commit of WAL mode lives until a checkpoint copies it. */
async function flushCommitted(file: string): Promise<void> {
  const handle = await open(`${file}-wal`, 'r').catch((err: unknown) => {
    // No WAL file: checkpointed and removed, so the database file holds the commit.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return open(file, 'r')
    throw err
  })
  try {
    await handle.datasync()
  } finally {
    await handle.close()
  }
}
