import type { SqliteDatabase, SqliteStatement } from 'kysely'

/** Distinct statements kept: the request path's few dozen, plus multi-row inserts by row count. */
const DEFAULT_MAX_STATEMENTS = 512

interface CacheableStatement extends SqliteStatement {
  /** better-sqlite3: true while an `iterate()` over this statement is still open. */
  readonly busy?: boolean
}

interface PreparingDatabase {
  prepare(sql: string): CacheableStatement
  close(): void
}

/**
 * The SQLite connection as Kysely sees it, with its prepared statements kept by SQL text.
 * Kysely's SQLite driver prepares every query it runs, and preparing costs more than running the
 * small statements of the request path (a settlement batch's multi-row inserts most of all).
 * SQLite re-prepares a kept statement by itself after a schema change, and a statement still
 * being iterated (a streamed select) is never handed out twice: that caller gets a fresh one.
 */
export function withStatementCache(
  sqlite: PreparingDatabase,
  maxStatements = DEFAULT_MAX_STATEMENTS,
): SqliteDatabase {
  const statements = new Map<string, CacheableStatement>()
  return {
    prepare(sql) {
      const kept = statements.get(sql)
      if (kept !== undefined && kept.busy !== true) {
        // Least recently used first: a hit moves to the end.
        statements.delete(sql)
        statements.set(sql, kept)
        return kept
      }
      const statement = sqlite.prepare(sql)
      if (kept === undefined) {
        if (statements.size >= maxStatements)
          statements.delete(statements.keys().next().value as string)
        statements.set(sql, statement)
      }
      return statement
    },
    close() {
      statements.clear()
      sqlite.close()
    },
  }
}
