import { sql, type Kysely } from 'kysely'
import { dialectOf } from '../dialect-of.js'

/**
 * The change log behind the `sqlite-change-counter` invalidation transport: the CLI (or any
 * other process on the same SQLite file) appends a row, and every gateway polls for rows after
 * the last one it saw. AUTOINCREMENT keeps IDs increasing even after the newest row is pruned.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const changeId =
    dialectOf(db) === 'postgres'
      ? sql`change_id bigserial primary key`
      : sql`change_id integer primary key autoincrement`
  await sql`create table cache_invalidations (
    ${changeId},
    kind text not null,
    target_id text,
    origin_id text not null,
    created_at text not null
  )`.execute(db)
  await db.schema
    .createIndex('cache_invalidations_created')
    .on('cache_invalidations')
    .column('created_at')
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('cache_invalidations').execute()
}
