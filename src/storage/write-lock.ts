import { sql } from 'kysely'
import type { Db, Tx } from './database.js'
import { dialectOf } from './dialect-of.js'

/**
 * SQLite: make this transaction a writer from its first statement. A deferred transaction that
 * reads first and writes later fails at once with SQLITE_BUSY when another process (the CLI
 * beside a running gateway) writes meanwhile; a transaction that writes first waits for the
 * lock instead (busy timeout). PostgreSQL needs nothing: row locks do this job there.
 *
 * The statement is a write that matches no row: SQLite takes the write lock for it (waiting as
 * for any write) and changes no page, so the commit writes nothing more to the WAL for it. (An
 * upsert of a settings row did the same job and dirtied that row's page in every transaction —
 * one more WAL frame per settlement batch.)
 */
export async function takeWriteLock(tx: Tx): Promise<void> {
  if (dialectOf(tx) !== 'sqlite') return
  await sql`delete from settings where 0`.execute(tx)
}

/**
 * Serialize the transactions that name `key` until this one ends. PostgreSQL: a
 * transaction-level advisory lock on the key's hash in the current schema (released at commit
 * or rollback), for a check that spans rows no single row lock covers — an invoice applied to
 * either of an organization's two accounts. SQLite: nothing more is needed, every writing
 * transaction already holds the one write lock (`takeWriteLock`).
 */
export async function lockKeyForTransaction(tx: Db | Tx, key: string): Promise<void> {
  if (dialectOf(tx) === 'sqlite') return
  await sql`select pg_advisory_xact_lock(hashtext(${key}), hashtext(current_schema()))`.execute(tx)
}
