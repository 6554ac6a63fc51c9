import { mkdirSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import type { Database, DatabaseHandle } from './database.js'
import { isDatabaseUnavailableError } from './database-unavailable.js'
import { rememberSqliteFile } from './flushed-transaction.js'
import { withStatementCache } from './sqlite-statement-cache.js'
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js'

export interface CreateDbOptions {
  /** Unset: SQLite at <dataDir>/ferry.db. */
  url?: string
  dataDir: string
  poolMax?: number
  /** PostgreSQL: wait at most this long for a connection (new, or free in the pool). @default 3000 */
  connectTimeoutMs?: number
  sqliteBusyTimeoutMs?: number
  /**
   * SQLite only: the connection's page cache, in KiB (SQLite's default is 2,000 KiB). The
   * settlement thread's connection inserts into indexes far larger than that; pages it finds in
   * its cache are not read again for every batch.
   */
  sqliteCacheKiB?: number
  /** PostgreSQL only: the schema to work in (tests use one per suite). */
  searchPath?: string
  /**
   * SQLite only. `automatic` (default, for short-lived CLI commands): SQLite's own checkpoint
   * inside the COMMIT that crosses 1,000 WAL pages. `thread`: for the long-running gateway,
   * automatic checkpoints off and a worker thread checkpointing beside it (wal-checkpointer.ts),
   * so no COMMIT on the event loop copies pages or fsyncs the database file.
   */
  sqliteCheckpoints?: 'automatic' | 'thread'
  /**
   * SQLite only: how `runCommittedTransaction` makes a commit durable. `deferred` (default, for
   * the event loop): COMMIT writes the WAL without flushing it, and an fdatasync on libuv's
   * pool flushes it while the loop goes on (flushed-transaction.ts). `inline`: COMMIT flushes
   * the WAL itself (`synchronous = FULL`), blocking its thread, for a thread that may block (the
   * settlement thread), which then needs no hop to the pool and back.
   */
  sqliteCommitFlush?: 'deferred' | 'inline'
  /** The checkpoint thread failed (automatic checkpoints are back on): for the log. */
  onCheckpointThreadFailure?: (err: unknown) => void
}

const PG_INT8_OID = 20

/**
 * Open the database that the URL names. 64-bit integers come back as `bigint` on both dialects
 * (STYLE §3.9.6): the driver decides runtime types, never a parseInt in a repository.
 */
export function createDb(options: CreateDbOptions): DatabaseHandle {
  const url = options.url
  if (url !== undefined && /^postgres(ql)?:\/\//.test(url)) return createPostgresDb(url, options)
  return createSqliteDb(sqlitePath(url, options.dataDir), options)
}

/** Where a SQLite URL (or none: the data directory's ferry.db) puts the database file. */
export function sqlitePath(url: string | undefined, dataDir: string): string {
  if (url === undefined) return resolve(dataDir, 'ferry.db')
  const path = url.replace(/^(sqlite|file):(\/\/)?/, '')
  if (path === ':memory:') return path
  return isAbsolute(path) ? path : resolve(path)
}

function createSqliteDb(path: string, options: CreateDbOptions): DatabaseHandle {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = new SqliteDatabase(path)
  sqlite.defaultSafeIntegers(true)
  sqlite.pragma('journal_mode = WAL')
  // FULL: a commit is on disk before we acknowledge it, also across an OS crash.
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma(`busy_timeout = ${options.sqliteBusyTimeoutMs ?? 5000}`)
  if (options.sqliteCacheKiB !== undefined)
    sqlite.pragma(`cache_size = ${-Math.max(1, Math.trunc(options.sqliteCacheKiB))}`)
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  })
  const checkpointer =
    options.sqliteCheckpoints === 'thread' && path !== ':memory:'
      ? checkpointInThread(sqlite, path, options.onCheckpointThreadFailure)
      : null
  // Inline: not remembered, so a committed transaction is a plain one, durable at COMMIT.
  const forgetFile =
    options.sqliteCommitFlush === 'inline'
      ? () => Promise.resolve()
      : rememberSqliteFile(db, path, checkpointer?.committed)
  return {
    db,
    dialect: 'sqlite',
    location: path,
    close: async () => {
      // The thread first: the gateway's connection, closing last, runs SQLite's final
      // checkpoint and removes the WAL, as it always did.
      await checkpointer?.close()
      await db.destroy()
      await forgetFile()
    },
  }
}

/**
 * Automatic checkpoints off on this connection, a checkpoint thread instead. Should the thread
 * fail (it cannot open the file, say), the automatic checkpoint comes back on, so the WAL stays
 * bounded either way.
 */
function checkpointInThread(
  sqlite: SqliteDatabase.Database,
  path: string,
  onFailure: (err: unknown) => void = () => undefined,
): WalCheckpointer {
  sqlite.pragma('wal_autocheckpoint = 0')
  return startWalCheckpointer(path, {
    onFailure: (err) => {
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`)
      onFailure(err)
    },
  })
}

/** SQLite's default `wal_autocheckpoint`, in WAL pages. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000

function createPostgresDb(url: string, options: CreateDbOptions): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    // Fail fast when PostgreSQL is away (a 503, not a hung request); the next query reconnects.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3_000,
    keepAlive: true,
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
    types: { getTypeParser: int8AsBigInt },
  })
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined)
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: failingFast(pool, options.connectTimeoutMs ?? 3_000) }),
  })
  const parsed = new URL(url)
  return {
    db,
    dialect: 'postgres',
    location: `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}${
      options.searchPath ? ` (schema ${options.searchPath})` : ''
    }`,
    close: () => db.destroy(),
  }
}

/** Clients that already carry the error listener below (pg reuses them across checkouts). */
const listenedClients = new WeakSet<pg.PoolClient>()

/**
 * pg-pool listens for errors only on idle clients. A checked-out client whose connection dies
 * (PostgreSQL restarted, a proxy cut it) emits 'error' even when its query also receives the
 * error, and an 'error' event without a listener kills the process: every request in flight
 * would be lost to an outage that should cost each of them a 503. The query's own rejection
 * (→ 503 database_unavailable) and pg's `_queryable = false` (the pool discards the client on
 * release) already handle the failure; the listener only keeps the event from being fatal.
 */
function listened(client: pg.PoolClient): pg.PoolClient {
  if (!listenedClients.has(client)) {
    listenedClients.add(client)
    client.on('error', () => undefined)
  }
  return client
}

/** Raised instead of waiting again right after PostgreSQL could not be reached. */
class DatabaseUnreachableError extends Error {
  /** SQLSTATE 08001, sqlclient_unable_to_establish_sqlconnection. */
  readonly code = '08001'
  constructor(cause: unknown) {
    super('PostgreSQL could not be reached a moment ago; not waiting again yet', { cause })
    this.name = 'DatabaseUnreachableError'
  }
}

/**
 * The pool, failing fast during an outage: once a connection attempt failed for unavailability,
 * further attempts fail at once for a second, instead of each waiting its full connect timeout
 * (one request makes several queries; it must answer 503 in one timeout, not several). After
 * the pause connections are tried again, so recovery needs no restart.
 */
function failingFast(pool: pg.Pool, connectTimeoutMs: number) {
  const pauseMs = Math.min(1_000, connectTimeoutMs)
  let downUntilMs = 0
  let lastError: unknown
  return {
    connect: async () => {
      if (Date.now() < downUntilMs) throw new DatabaseUnreachableError(lastError)
      try {
        return listened(await pool.connect())
      } catch (err) {
        if (isDatabaseUnavailableError(err)) {
          downUntilMs = Date.now() + pauseMs
          lastError = err
        }
        throw err
      }
    },
    end: () => pool.end(),
  }
}

/** pg's type lookup with int8 (BIGINT, COUNT) parsed to bigint instead of a string. */
const int8AsBigInt = ((oid: number, format: 'text' | 'binary' = 'text'): unknown =>
  oid === PG_INT8_OID && format === 'text'
    ? (value: string) => BigInt(value)
    : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser

/** The default SQLite file for a data directory (for messages and `ferry doctor`). */
export function defaultSqlitePath(dataDir: string): string {
  return join(resolve(dataDir), 'ferry.db')
}
