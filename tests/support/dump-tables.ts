import { sql } from 'kysely'
import { dialectOf, type Db } from '../../src/storage/index.js'
import { jsonOf } from './json-of.js'

/** Every value of every row of every table, one JSON string per table: for canary scans. */
export async function dumpAllTables(db: Db): Promise<Record<string, string>> {
  const names =
    dialectOf(db) === 'sqlite'
      ? (
          await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
            db,
          )
        ).rows
      : (
          await sql<{ name: string }>`select table_name as name from information_schema.tables
            where table_schema = current_schema()`.execute(db)
        ).rows
  const out: Record<string, string> = {}
  for (const { name } of names) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db))
      .rows
    out[name] = jsonOf(rows)
  }
  return out
}
